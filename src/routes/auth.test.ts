import { describe, expect, it } from "vitest";
import { parseApiKey } from "./auth";

describe("parseApiKey", () => {
  it("finds the client and key prefix, even when the client name has underscores", () => {
    const hex = "ab".repeat(32);
    expect(parseApiKey(`cas_demo_${hex}`)).toEqual({ client: "demo", prefix: "abababab" });
    expect(parseApiKey(`cas_my_client_${hex}`)).toEqual({ client: "my_client", prefix: "abababab" });
    expect(parseApiKey(`cas_demo_${hex.slice(2)}`)).toBeNull();
    expect(parseApiKey("Bearer whatever")).toBeNull();
  });
});
