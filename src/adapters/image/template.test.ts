import { describe, expect, it } from "vitest";
import { StepError } from "../../lib/failures";
import { fillTemplate } from "./template";

describe("fillTemplate", () => {
  const values = { additional_context: { voucher_code: "AB12", n: 3, nested: { city: "Oslo" } } };
  it("fills dotted paths, with or without spaces", () => {
    expect(fillTemplate("Code: {{additional_context.voucher_code}}", values)).toBe("Code: AB12");
    expect(fillTemplate("{{ additional_context.n }} in {{additional_context.nested.city}}", values)).toBe("3 in Oslo");
    expect(fillTemplate("no templates", values)).toBe("no templates");
  });

  it("refuses a missing key by name instead of printing nothing", () => {
    expect(() => fillTemplate("{{additional_context.missing}}", values)).toThrow(StepError);
    expect(() => fillTemplate("{{additional_context.missing}}", values)).toThrow("{{additional_context.missing}}");
    expect(() => fillTemplate("{{additional_context.voucher_code.length}}", values)).toThrow(StepError);
  });
});
