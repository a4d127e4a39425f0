import { describe, expect, it } from "vitest";
import { checkOutboundUrl, isPrivateHost } from "./outbound-url";

describe("checkOutboundUrl", () => {
  it("allows https, and http only to localhost in development", () => {
    expect(checkOutboundUrl("https://hooks.example.com/x", "f", false)).toBe("https://hooks.example.com/x");
    expect(checkOutboundUrl("http://127.0.0.1:8080/x", "f", true)).toBe("http://127.0.0.1:8080/x");
    expect(() => checkOutboundUrl("http://127.0.0.1:8080/x", "f", false)).toThrow();
    expect(() => checkOutboundUrl("https://localhost/x", "f", false)).toThrow();
    expect(() => checkOutboundUrl("http://example.com/x", "f", true)).toThrow();
    expect(() => checkOutboundUrl("ftp://example.com/x", "f", true)).toThrow();
  });
});

describe("isPrivateHost", () => {
  it("catches private, loopback, link-local and metadata literals in every spelling", () => {
    for (const h of [
      "10.1.2.3",
      "172.16.0.1",
      "172.31.255.255",
      "192.168.1.1",
      "127.0.0.1",
      "169.254.169.254",
      "0.0.0.0",
      "100.64.0.1",
      "[::1]",
      "::1",
      "[fd00::1]",
      "[fe80::1]",
      "[::ffff:127.0.0.1]",
      "::ffff:7f00:1",
      "localhost",
      "api.localhost",
      // Once missed: a trailing dot, IPv4-compatible v6, NAT64 and 6to4 forms of private v4, the benchmarking range.
      "localhost.",
      "api.localhost.",
      "[::7f00:1]",
      "[64:ff9b::a9fe:a9fe]",
      "[64:ff9b:1::1]",
      "[2002:c0a8:101::1]",
      "[2002:7f00:1::]",
      "198.18.0.1",
      "198.19.255.255",
      "224.0.0.1",
      "255.255.255.255",
      "[ff02::1]",
      "[2001:0:4136:e378::1]",
    ]) {
      expect(isPrivateHost(h), h).toBe(true);
    }
    for (const h of [
      "8.8.8.8",
      "172.32.0.1",
      "hooks.example.com",
      "hooks.example.com.",
      "[2606:4700::1111]",
      "192.169.0.1",
      "198.20.0.1",
      "[64:ff9b::808:808]",
      "[2002:808:808::1]",
      "[::808:808]",
    ]) {
      expect(isPrivateHost(h), h).toBe(false);
    }
  });

  it("refuses such hosts once deployed, whatever URL() normalises them to", () => {
    for (const u of [
      "https://169.254.169.254/latest",
      "https://[::ffff:127.0.0.1]/x",
      "https://10.0.0.1/",
      "https://0x7f000001/",
      "https://localhost./x",
      "https://[::127.0.0.1]/x",
      "https://[64:ff9b::10.0.0.1]/x",
      "https://[2002:a9fe:a9fe::]/x",
      "https://198.18.0.1/x",
    ]) {
      expect(() => checkOutboundUrl(u, "url", false), u).toThrow(/private/);
    }
  });
});
