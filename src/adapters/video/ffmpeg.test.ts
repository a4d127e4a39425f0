import { describe, expect, it } from "vitest";
import { parseInfo } from "./ffmpeg";

describe("parseInfo", () => {
  it("reads a tiny image's size (single-digit sides)", () => {
    const log = [
      "Input #0, png_pipe, from 'overlay.img':",
      "  Duration: N/A, bitrate: N/A",
      "  Stream #0:0: Video: png, rgba(pc, gbr/unknown/unknown), 2x2, 25 fps, 25 tbr, 25 tbn",
    ];
    expect(parseInfo(log)).toEqual({
      duration: null,
      video: { codec: "png", width: 2, height: 2, fps: 25 },
      audio: null,
    });
  });

  it("reads an MP4's duration, size, rate and audio, not the codec tag's hex", () => {
    const log = [
      "  Duration: 00:01:02.50, start: 0.000000, bitrate: 120 kb/s",
      "  Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(progressive), 1920x1080 [SAR 1:1 DAR 16:9], 100 kb/s, 29.97 fps, 29.97 tbr, 30k tbn (default)",
      "  Stream #0:1[0x2](und): Audio: aac (LC) (mp4a / 0x6134706D), 44100 Hz, stereo, fltp, 2 kb/s (default)",
    ];
    expect(parseInfo(log)).toEqual({
      duration: 62.5,
      video: { codec: "h264", width: 1920, height: 1080, fps: 29.97 },
      audio: { codec: "aac" },
    });
  });

  it("finds no video in a file ffmpeg cannot read", () => {
    expect(parseInfo(["overlay.img: Invalid data found when processing input"]).video).toBeNull();
  });
});
