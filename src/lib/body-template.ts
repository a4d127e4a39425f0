/**
 * Callback body templates: JSON whose string values may hold `{{field}}` placeholders, filled from
 * the body the callback's format would send (and `event`). A value that is only a placeholder takes
 * the field's value with its type (an object stays an object); a placeholder inside a longer string
 * is replaced by the field's text. Keys are left as written.
 */

const PLACEHOLDER = /\{\{\s*([A-Za-z_]\w*)\s*\}\}/g;
const WHOLE = /^\{\{\s*([A-Za-z_]\w*)\s*\}\}$/;

/** Every field name the template's placeholders use. */
export function templateFields(template: unknown): string[] {
  const names = new Set<string>();
  const walk = (v: unknown): void => {
    if (typeof v === "string") for (const m of v.matchAll(PLACEHOLDER)) names.add(m[1]!);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") Object.values(v).forEach(walk);
  };
  walk(template);
  return [...names];
}

const text = (v: unknown) => (v === undefined || v === null ? "" : typeof v === "string" ? v : JSON.stringify(v));

/** The template with its placeholders filled from `values` (a field this event's body lacks is null, or "" inside text). */
export function applyTemplate(template: unknown, values: Record<string, unknown>): unknown {
  if (typeof template === "string") {
    const whole = WHOLE.exec(template);
    if (whole) return values[whole[1]!] ?? null;
    return template.replace(PLACEHOLDER, (_m, name: string) => text(values[name]));
  }
  if (Array.isArray(template)) return template.map((v) => applyTemplate(v, values));
  if (template && typeof template === "object") {
    return Object.fromEntries(Object.entries(template).map(([k, v]) => [k, applyTemplate(v, values)]));
  }
  return template;
}
