import { describe, expect, it } from "vitest";
import { configOf } from "./config";
import { allowedOrigin } from "./cors";

const origins = (CORS_ORIGINS: string) => configOf({ CORS_ORIGINS }).corsOrigins;

describe("allowedOrigin", () => {
  it("'*' allows every origin, and no Origin header gets nothing", () => {
    expect(allowedOrigin("https://a.example", origins("*"))).toBe("*");
    expect(allowedOrigin(undefined, origins("*"))).toBeNull();
  });
  it("a list allows exactly its origins, echoed back", () => {
    const list = origins("https://a.example, http://127.0.0.1:5173");
    expect(allowedOrigin("https://a.example", list)).toBe("https://a.example");
    expect(allowedOrigin("http://127.0.0.1:5173", list)).toBe("http://127.0.0.1:5173");
    expect(allowedOrigin("https://a.example.evil", list)).toBeNull();
    expect(allowedOrigin("http://127.0.0.1:5174", list)).toBeNull();
    expect(allowedOrigin("https://a.example", [])).toBeNull();
  });
});
