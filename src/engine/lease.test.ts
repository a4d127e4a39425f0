import { describe, expect, it } from "vitest";
import { decideLease } from "./lease";

describe("leases", () => {
  const held = { holder: "m1", holderTry: 1, until: 2_000 };
  it("are free without a holder, busy for another message within the lease", () => {
    expect(decideLease({ holder: null, holderTry: null, until: null }, "m2", 1, 1_000)).toBe("free");
    expect(decideLease(held, "m2", 1, 1_000)).toBe("busy");
    // The same message delivered the same time (a duplicate of the live claim) is busy too.
    expect(decideLease(held, "m1", 1, 1_000)).toBe("busy");
  });
  it("are taken over when the holder's message comes again, or the lease has ended", () => {
    expect(decideLease(held, "m1", 2, 1_000)).toBe("take_over");
    expect(decideLease(held, "m2", 1, 2_000)).toBe("take_over");
    expect(decideLease({ ...held, until: null }, "m2", 1, 1_000)).toBe("take_over");
  });
});
