import { describe, expect, it } from "vitest";
import { StepError } from "../../lib/failures";
import { decodeImage, headerSize, sniff } from "./codecs";

describe("sniff and headerSize", () => {
  it("recognise PNG and JPEG by their bytes and read the size without decoding", () => {
    const png = new Uint8Array(24);
    png.set([0x89, 0x50, 0x4e, 0x47]);
    new DataView(png.buffer).setUint32(16, 1920);
    new DataView(png.buffer).setUint32(20, 1080);
    expect(sniff(png)).toBe("png");
    expect(headerSize(png, "png")).toEqual({ width: 1920, height: 1080 });
    // SOI, APP0 (length 4), SOF0 with height 300 and width 400
    const jpeg = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 4, 0, 0, 0xff, 0xc0, 0, 17, 8, 1, 44, 1, 144, 3, 0, 0, 0]);
    expect(sniff(jpeg)).toBe("jpeg");
    expect(headerSize(jpeg, "jpeg")).toEqual({ width: 400, height: 300 });
    expect(sniff(new TextEncoder().encode("GIF89a"))).toBeNull();
  });

  it("decodeImage turns garbage into a StepError, not a crash", async () => {
    await expect(decodeImage(new TextEncoder().encode("nope").buffer as ArrayBuffer, "x.png")).rejects.toBeInstanceOf(
      StepError,
    );
  });
});
