/**
 * The Workers' vars (wrangler.toml `[vars]`, strings) parsed once into numbers in their units. Each
 * Worker parses the vars it has: the API Worker all of them, the image Worker its file limits, the
 * media Worker its file and video limits. A caller passes the smallest env it holds (`Pick<Env, …>`,
 * `ImageEnv`, `MediaEnv`) and gets the fields of exactly those vars. An invalid value anywhere in the
 * Worker's vars is a `ConfigError` naming the var (for the log); the API answers it as 503
 * `not_configured` (src/app.ts), like a missing secret.
 */
import { z } from "zod";

const MB = 1024 * 1024;

/** A whole number ≥ 1 written in decimal digits ("", "1e3", " 5" and "0x10" are refused). */
const whole = z
  .string()
  .regex(/^[1-9][0-9]*$/, "must be a whole number of at least 1, in digits")
  .transform(Number)
  .pipe(z.number().max(Number.MAX_SAFE_INTEGER, "is too large"));

/** CORS_ORIGINS: "*", or a comma-separated list of exact origins (scheme://host[:port], no path). */
const origins = z
  .string()
  .transform((s) =>
    s
      .split(",")
      .map((o) => o.trim())
      .filter(Boolean),
  )
  .pipe(
    z
      .array(z.string().refine((o) => o === "*" || (URL.canParse(o) && new URL(o).origin === o), "is not an origin"))
      .min(1, "names no origin"),
  )
  .transform((list): "*" | string[] => (list.includes("*") ? "*" : list));

/** Each var, its schema (the string to a value in the field's unit) and the field it becomes. */
const VARS = {
  MAX_UPLOAD_MB: { field: "maxUploadBytes", schema: whole.transform((mb) => mb * MB) },
  MAX_FILE_MB: { field: "maxFileBytes", schema: whole.transform((mb) => mb * MB) },
  UPLOAD_LOCK_S: { field: "uploadLockMs", schema: whole.transform((s) => s * 1000) },
  CORS_ORIGINS: { field: "corsOrigins", schema: origins },
  STEP_TIMEOUT_S: { field: "stepTimeoutMs", schema: whole.transform((s) => s * 1000) },
  STEP_MAX_ATTEMPTS: { field: "stepMaxAttempts", schema: whole },
  RATE_LIMIT_PER_MINUTE: { field: "triggersPerMinute", schema: whole },
  RETENTION_DAYS: { field: "retentionMs", schema: whole.transform((days) => days * 86_400_000) },
  LINK_TTL_S: { field: "linkTtlS", schema: whole },
  // The video limits stay in the units the media budget counts in (src/adapters/video/budget.ts).
  MAX_VIDEO_MB: { field: "maxVideoMb", schema: whole },
  MAX_VIDEO_SECONDS: { field: "maxVideoS", schema: whole },
  MAX_NATIVE_SECONDS: { field: "maxNativeS", schema: whole },
  EMAIL_FROM: { field: "emailFrom", schema: z.email("is not an email address") },
  NATIVE_URL: { field: "nativeUrl", schema: z.url({ protocol: /^https?$/, error: "is not an http(s) URL" }) },
} as const satisfies Record<string, { field: string; schema: z.ZodType<unknown, string> }>;

export type VarName = keyof typeof VARS;
type Field<V extends VarName> = (typeof VARS)[V]["field"];
type Value<V extends VarName> = z.output<(typeof VARS)[V]["schema"]>;

/** The parsed vars of an env: one field per var it has, optional where the var is (NATIVE_URL). */
export type ConfigOf<E> = {
  [K in keyof E as K extends VarName ? Field<K> : never]: K extends VarName ? Value<K> : never;
};

/** Every field, as the API Worker has them (its Env has every var but the media Worker's). */
export type Config = ConfigOf<Env>;

/** One schema over every var, each optional: a Worker has only its own; whatever it has must be valid. */
const schema = z.object(
  Object.fromEntries(Object.entries(VARS).map(([name, v]) => [name, v.schema.optional()])) as {
    [V in VarName]: z.ZodOptional<(typeof VARS)[V]["schema"]>;
  },
);

/** A var whose value cannot be used; `variable` names it, for the log only. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly problem: string,
  ) {
    super(`${variable} ${problem}`);
    this.name = "ConfigError";
  }
}

const parsed = new WeakMap<object, Record<string, unknown>>();

/**
 * The env's vars parsed, once per env object (a WeakMap: the runtime hands a Worker the same env on
 * every request, so this costs one lookup). Throws `ConfigError` for the first invalid var; a failed
 * parse is not remembered, so fixing the var needs no new isolate.
 */
export function configOf<E extends Partial<Record<VarName, string>>>(env: E): ConfigOf<E> {
  let config = parsed.get(env);
  if (!config) {
    const result = schema.safeParse(env);
    if (!result.success) {
      const issue = result.error.issues[0]!;
      throw new ConfigError(String(issue.path[0] ?? "a var"), issue.message);
    }
    config = Object.fromEntries(
      Object.entries(result.data)
        .filter(([, value]) => value !== undefined)
        .map(([name, value]) => [VARS[name as VarName].field, value]),
    );
    parsed.set(env, config);
  }
  return config as ConfigOf<E>;
}

export { MB };
