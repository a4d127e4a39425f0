import { describe, expect, it } from "vitest";
import { applyTemplate, templateFields } from "./body-template";

describe("body templates", () => {
  const template = {
    text: "Job {{job_id}} is {{ status }}",
    ok: "{{status}}",
    data: { results: "{{results}}", when: ["{{end_date}}", "{{missing}}"] },
    n: 3,
  };

  it("lists the fields its placeholders use", () => {
    expect(templateFields(template).sort()).toEqual(["end_date", "job_id", "missing", "results", "status"]);
    expect(templateFields({ "{{key}}": "plain" })).toEqual([]);
  });

  it("keeps a whole placeholder's type, writes text inside strings, and leaves the rest as written", () => {
    const values = { job_id: "j-1", status: "Succeeded", results: [{ error: false }], end_date: null };
    expect(applyTemplate(template, values)).toEqual({
      text: "Job j-1 is Succeeded",
      ok: "Succeeded",
      data: { results: [{ error: false }], when: [null, null] },
      n: 3,
    });
    expect(applyTemplate("{{results}} and {{missing}}", values)).toBe('[{"error":false}] and ');
  });
});
