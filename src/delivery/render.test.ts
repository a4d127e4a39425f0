import { describe, expect, it } from "vitest";
import { auroraFormat } from "./render";

describe("auroraFormat", () => {
  it("names streaming outputs as AuroraCloud does, and keeps other extensions", () => {
    expect(
      ["talk.mp4", "master.m3u8", "manifest.mpd", "clip.flv", "clip.MOV", "card.png", "noext"].map(auroraFormat),
    ).toEqual(["mp4", "hls", "dash", "flv", "mp4", "png", "noext"]);
  });
});
