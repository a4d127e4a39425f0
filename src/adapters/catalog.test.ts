import { describe, expect, it } from "vitest";
import { declaredResult } from "./catalog";

describe("declaredResult", () => {
  const chain = [{ adapter: "video-overlay" }, { adapter: "video-transcode" }, { adapter: "s3-upload" }];
  const results = [
    { duration: 12.5, width: 1280 },
    { duration: 12.4, playlist_url: "https://cascade.test/p.m3u8" },
    { url: "https://s3.amazonaws.com/b/k", bucket_name: "b" },
  ];

  it("reads the fields the adapters declare, from the link that declares them", () => {
    expect(declaredResult(chain, results, "deliveredUrl")).toBe("https://s3.amazonaws.com/b/k");
    expect(declaredResult(chain, results, "mediaDuration", "first")).toBe(12.5);
    expect(declaredResult(chain, results, "mediaDuration")).toBe(12.4);
  });

  it("finds nothing where no adapter declares the field, whatever the results hold", () => {
    // An image result with a `url` or a `duration` is not an upload or a measurement.
    const image = [{ adapter: "image-compositor" }];
    expect(declaredResult(image, [{ url: "https://x", duration: 3 }], "deliveredUrl")).toBeUndefined();
    expect(declaredResult(image, [{ url: "https://x", duration: 3 }], "mediaDuration")).toBeUndefined();
    expect(declaredResult(chain, null, "deliveredUrl")).toBeUndefined();
  });
});
