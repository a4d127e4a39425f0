import { describe, expect, it } from "vitest";
import { isKnownField, MAX_FORM_FIELDS } from "./form-fields";

describe("isKnownField: a multipart field judged by its name before its body is read", () => {
  it("takes top-level fields and {configuration}_{suffix} of any valid name before configuration_names", () => {
    for (const name of ["configuration_names", "custom_data", "callbacks", "a_data", "cfg-1_extras", "x_url"])
      expect(isKnownField("taskgroup", name), name).toBe(true);
    for (const name of ["nope", "data", "_data", "A_data", "a_datas", "configuration_name"])
      expect(isKnownField("taskgroup", name), name).toBe(false);
  });

  it("once configuration_names is read, only its configurations' fields", () => {
    expect(isKnownField("taskgroup", "a_data", '["a"]')).toBe(true);
    expect(isKnownField("taskgroup", "b_data", '["a"]')).toBe(false);
    // Unreadable names are judged later (readSubmission names the problem): the shape rule applies.
    expect(isKnownField("taskgroup", "b_data", "not json")).toBe(true);
  });

  it("a task takes its own names too", () => {
    for (const name of ["configuration_name", "data", "data_url", "upload", "extras", "webhook_url"])
      expect(isKnownField("task", name), name).toBe(true);
    expect(isKnownField("task", "input")).toBe(false);
  });

  it("the field count allows every valid submission: all top-level fields and two per step", () => {
    expect(MAX_FORM_FIELDS).toBe(6 + 5 + 100);
  });
});
