import { describe, expect, it } from "vitest";
import { fileNameTooLong, MAX_FILE_NAME_BYTES, safeFileName } from "./file-names";

describe("fileNameTooLong", () => {
  it("counts UTF-8 bytes, not characters", () => {
    expect(fileNameTooLong("a".repeat(MAX_FILE_NAME_BYTES))).toBe(false);
    expect(fileNameTooLong("a".repeat(MAX_FILE_NAME_BYTES + 1))).toBe(true);
    expect(fileNameTooLong("é".repeat(128))).toBe(true); // 256 bytes in 128 characters
    expect(fileNameTooLong("é".repeat(127))).toBe(false);
  });
});

describe("safeFileName", () => {
  it("keeps word characters, '.', '-' and never gives '.' or '..'", () => {
    expect(safeFileName("my talk (final).mp4", "x")).toBe("my_talk_final_.mp4");
    expect(safeFileName("..", "x")).toBe("x");
    expect(safeFileName("", "x")).toBe("x");
  });
});
