import { describe, expect, it } from "vitest";
import { ConfigError, configOf } from "./config";

/** The API Worker's vars as wrangler.toml writes them. */
const api = {
  ENVIRONMENT: "production",
  MAX_UPLOAD_MB: "100",
  MAX_FILE_MB: "5120",
  UPLOAD_LOCK_S: "60",
  CORS_ORIGINS: "*",
  STEP_TIMEOUT_S: "900",
  STEP_MAX_ATTEMPTS: "3",
  RATE_LIMIT_PER_MINUTE: "600",
  RETENTION_DAYS: "30",
  LINK_TTL_S: "604800",
  MAX_VIDEO_MB: "4",
  MAX_VIDEO_SECONDS: "120",
  EMAIL_FROM: "cascade@example.com",
};

const refusal = (env: Record<string, string>) => {
  try {
    configOf(env);
  } catch (err) {
    return err;
  }
  return null;
};

describe("configOf", () => {
  it("parses every var into its field, in the unit the field names", () => {
    expect(configOf(api)).toEqual({
      maxUploadBytes: 100 * 1024 * 1024,
      maxFileBytes: 5120 * 1024 * 1024,
      uploadLockMs: 60_000,
      corsOrigins: "*",
      stepTimeoutMs: 900_000,
      stepMaxAttempts: 3,
      triggersPerMinute: 600,
      retentionMs: 30 * 86_400_000,
      linkTtlS: 604_800,
      maxVideoMb: 4,
      maxVideoS: 120,
      emailFrom: "cascade@example.com",
    });
  });

  it("parses each Worker's own vars: the image Worker's two, the media Worker's with NATIVE_URL optional", () => {
    expect(configOf({ MAX_UPLOAD_MB: "100", MAX_FILE_MB: "5120" })).toEqual({
      maxUploadBytes: 100 * 1024 * 1024,
      maxFileBytes: 5120 * 1024 * 1024,
    });
    const media = { MAX_FILE_MB: "1", MAX_VIDEO_MB: "4", MAX_VIDEO_SECONDS: "120", MAX_NATIVE_SECONDS: "600" };
    expect(configOf(media)).toEqual({ maxFileBytes: 1024 * 1024, maxVideoMb: 4, maxVideoS: 120, maxNativeS: 600 });
    expect(configOf({ ...media, NATIVE_URL: "http://127.0.0.1:9" }).nativeUrl).toBe("http://127.0.0.1:9");
  });

  it("a list of origins becomes the list; '*' anywhere in it allows every origin", () => {
    expect(configOf({ CORS_ORIGINS: " https://a.example ,http://127.0.0.1:5173," }).corsOrigins).toEqual([
      "https://a.example",
      "http://127.0.0.1:5173",
    ]);
    expect(configOf({ CORS_ORIGINS: "https://a.example,*" }).corsOrigins).toBe("*");
  });

  it("refuses an invalid value with a ConfigError naming the var", () => {
    for (const [name, value] of [
      ["RETENTION_DAYS", "thirty"],
      ["RETENTION_DAYS", ""],
      ["STEP_TIMEOUT_S", "0"],
      ["STEP_TIMEOUT_S", "-5"],
      ["MAX_FILE_MB", "1e3"],
      ["MAX_FILE_MB", " 5"],
      ["MAX_UPLOAD_MB", "0x10"],
      ["LINK_TTL_S", "1.5"],
      ["LINK_TTL_S", "99999999999999999999"],
      ["CORS_ORIGINS", ""],
      ["CORS_ORIGINS", "https://a.example/path"],
      ["CORS_ORIGINS", "a.example"],
      ["EMAIL_FROM", "cascade"],
      ["NATIVE_URL", "ftp://host"],
    ] as const) {
      const err = refusal({ ...api, [name]: value });
      expect(err, `${name}=${JSON.stringify(value)}`).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).variable).toBe(name);
    }
  });

  it("parses once per env object, and not at all again on the next call", () => {
    const env = { ...api };
    const first = configOf(env);
    expect(configOf(env)).toBe(first);
    // The same vars in another object (another Worker's env, a test's) are parsed for that object.
    expect(configOf({ ...api })).not.toBe(first);
  });

  it("does not remember a refusal: the same object is parsed again", () => {
    const env = { ...api, RETENTION_DAYS: "x" };
    expect(refusal(env)).toBeInstanceOf(ConfigError);
    env.RETENTION_DAYS = "7";
    expect(configOf(env).retentionMs).toBe(7 * 86_400_000);
  });
});
