import { beforeAll, describe, expect, it } from "vitest";
import {
  api,
  file,
  newClient,
  newSink,
  putConfiguration,
  putStorage,
  s3,
  s3Bytes,
  submit,
  waitForEnd,
  type TestClient,
} from "./support/api";
import { decodePng, encodePng, solid } from "./support/png";
import { frame, probe, rgb, video } from "./support/video";

let c: TestClient;
let blue: Uint8Array;

const near = (a: number[], b: number[], tol: number) => a.every((v, i) => Math.abs(v - b[i]!) <= tol);

async function run(configuration: string, input: Uint8Array, extras?: Record<string, unknown>, name = "clip.mp4") {
  const form = new FormData();
  form.set("configuration_names", JSON.stringify([configuration]));
  form.set(`${configuration}_data`, file(input, name, "video/mp4"));
  if (extras) form.set(`${configuration}_extras`, JSON.stringify(extras));
  const { status, body } = await submit(c, form);
  expect(status, JSON.stringify(body)).toBe(202);
  return waitForEnd(c, body.task_id, 120_000);
}

async function outputBytes(done: any, step = 0, fileName?: string): Promise<ArrayBuffer> {
  const url = fileName ? done.steps[step].output.url.replace(/[^/]+$/, fileName) : done.steps[step].output.url;
  const res = await api(url.replace("https://cascade.test", ""), { headers: c.auth });
  expect(res.status).toBe(200);
  return res.arrayBuffer();
}

beforeAll(async () => {
  c = await newClient("vid");
  blue = await video({ color: "blue", d: 2 });
  const logo = await encodePng(solid(40, 40, [255, 0, 0, 255]));
  expect(
    (
      await api("/api/assets/logo.png", {
        method: "PUT",
        headers: { ...c.auth, "content-type": "image/png" },
        body: logo,
      })
    ).status,
  ).toBe(201);
}, 120_000);

describe("video-overlay", () => {
  it("puts the logo in the chosen corner, keeps size, duration and audio", async () => {
    await putConfiguration(c, "tg-overlay", {
      adapter: "video-overlay",
      params: { overlay_file_name: "logo.png", position: "top-right", margin: 10 },
    });
    const done = await run("tg-overlay", blue);
    expect(done.status, JSON.stringify(done.results)).toBe("Succeeded");
    expect(done.steps[0].progress).toBe(100);
    const result = done.results[0].result[0];
    expect(result.output).toMatchObject({ file_name: "clip.mp4", content_type: "video/mp4" });
    const out = await outputBytes(done);
    const info = await probe(out);
    expect(info.video).toEqual({ codec: "h264", width: 320, height: 240 });
    expect(info.audio?.codec).toBe("aac");
    expect(Math.abs(info.duration! - 2)).toBeLessThanOrEqual(0.1);
    const f = await frame(out, 1);
    expect(near(rgb(f, 320 - 10 - 20, 10 + 20), [255, 0, 0], 40), `logo pixel ${rgb(f, 290, 30)}`).toBe(true);
    expect(near(rgb(f, 20, 220), [0, 0, 255], 40), `video pixel ${rgb(f, 20, 220)}`).toBe(true);
  });
});

describe("progress", () => {
  it("ffmpeg's progress reaches the taskgroup and on_progress callbacks as task.progress events", async () => {
    await putConfiguration(c, "tg-overlay", {
      adapter: "video-overlay",
      params: { overlay_file_name: "logo.png", position: "top-right", margin: 10 },
    });
    const sink = await newSink(c.secret);
    const form = new FormData();
    form.set("configuration_names", '["tg-overlay"]');
    form.set("tg-overlay_data", file(blue, "clip.mp4", "video/mp4"));
    form.set("callbacks", JSON.stringify([{ url: sink.url, on_progress: true, on_success: false }]));
    const { body } = await submit(c, form);
    const done = await waitForEnd(c, body.task_id, 120_000);
    expect(done.steps[0].progress).toBe(100);
    const log = await sink.waitFor(3);
    const events = log.map((r) => JSON.parse(r.body));
    const progress = events.filter((e) => e.event === "task.progress").map((e) => e.progress);
    expect(progress.length).toBeGreaterThan(0);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
    expect(progress.every((p: number) => p >= 10 && p <= 100)).toBe(true);
    expect(events[0].event).toBe("task.started");
    expect(events[events.length - 1].event).toBe("task.succeeded");
  });
});

describe("video-join", () => {
  it("normalises sizes, frame rates and missing audio; the duration is the sum", async () => {
    const intro = await video({ w: 640, h: 360, d: 1, fps: 30, audio: true });
    const outro = await video({ w: 160, h: 120, d: 1, fps: 15, audio: false });
    for (const [name, bytes] of [
      ["intro.mp4", intro],
      ["outro.mp4", outro],
    ] as const) {
      expect(
        (
          await api(`/api/assets/${name}`, {
            method: "PUT",
            headers: { ...c.auth, "content-type": "video/mp4" },
            body: bytes,
          })
        ).status,
      ).toBe(201);
    }
    await putConfiguration(c, "join", {
      adapter: "video-join",
      params: { prepend_file_name: "intro.mp4", append_file_name: "outro.mp4" },
    });
    const done = await run("join", await video({ d: 2 }));
    expect(done.status, JSON.stringify(done.results)).toBe("Succeeded");
    const info = await probe(await outputBytes(done));
    expect(info.video).toEqual({ codec: "h264", width: 320, height: 240 });
    expect(info.audio?.codec).toBe("aac");
    expect(Math.abs(info.duration! - 4)).toBeLessThanOrEqual(0.1);
    expect(info.ok).toBe(true);
  });

  it("refuses parts that together exceed the one-input size cap (1 MB in tests), before reading them", async () => {
    // Each part alone is under the cap; what they are does not matter, as nothing of them is read.
    const part = new Uint8Array(600_000).fill(1);
    const put = await api("/api/assets/big-outro.mp4", {
      method: "PUT",
      headers: { ...c.auth, "content-type": "video/mp4" },
      body: part,
    });
    expect(put.status).toBe(201);
    await putConfiguration(c, "join-big", { adapter: "video-join", params: { append_file_name: "big-outro.mp4" } });
    const done = await run("join-big", part);
    expect(done.status).toBe("Failed");
    expect(done.results[0].result).toBe("the joined video is 2 MB, over the 1 MB video limit of the media Worker.");
  });
});

describe("video-transcode and video-thumbnail", () => {
  it("transcodes to a smaller MP4, keeping the aspect ratio", async () => {
    await putConfiguration(c, "small", {
      adapter: "video-transcode",
      params: { format: "mp4", width: 160, video_bitrate: "300k" },
    });
    const done = await run("small", await video({ d: 2 }));
    const info = await probe(await outputBytes(done));
    expect(info.video).toEqual({ codec: "h264", width: 160, height: 120 });
    expect(info.audio?.codec).toBe("aac");
    expect(Math.abs(info.duration! - 2)).toBeLessThanOrEqual(0.1);
  });

  it("makes HLS: a VOD playlist whose segments are stored beside it and decode", async () => {
    await putConfiguration(c, "hls", { adapter: "video-transcode", params: { format: "hls", segment_seconds: 1 } });
    const done = await run("hls", await video({ d: 3 }));
    expect(done.status, JSON.stringify(done.results)).toBe("Succeeded");
    const result = done.results[0].result[0];
    expect(result.output.content_type).toBe("application/vnd.apple.mpegurl");
    expect(result.playlist_url).toBe(done.steps[0].output.url);
    const playlist = new TextDecoder().decode(await outputBytes(done));
    expect(playlist).toMatch(/^#EXTM3U/);
    expect(playlist).toContain("#EXT-X-ENDLIST");
    const segments = playlist.split("\n").filter((l) => l.endsWith(".ts"));
    expect(segments.length).toBeGreaterThanOrEqual(2);
    expect(result.segments).toHaveLength(segments.length);
    const durations = [...playlist.matchAll(/#EXTINF:([\d.]+)/g)].map((m) => Number(m[1]));
    expect(Math.abs(durations.reduce((a, b) => a + b, 0) - 3)).toBeLessThanOrEqual(0.1);
    const first = await probe(await outputBytes(done, 0, segments[0]));
    expect(first.video?.codec).toBe("h264");
    expect(first.ok).toBe(true);
  });

  it("makes a ladder: HLS master and media playlists and a DASH MPD over shared fMP4 segments that decode", async () => {
    await putConfiguration(c, "ladder", {
      adapter: "video-transcode",
      params: {
        format: "cmaf",
        segment_seconds: 1,
        renditions: [
          { height: 240, video_bitrate: "400k" },
          { height: 120, video_bitrate: "150k" },
        ],
      },
    });
    const done = await run("ladder", await video({ w: 320, h: 240, d: 3 }));
    expect(done.status, JSON.stringify(done.results)).toBe("Succeeded");
    const result = done.results[0].result[0];
    expect(result.output).toMatchObject({ file_name: "clip.m3u8", content_type: "application/vnd.apple.mpegurl" });
    expect(result.renditions).toEqual([
      { width: 320, height: 240, video_bitrate: "400k", playlist_url: expect.stringMatching(/media_0\.m3u8$/) },
      { width: 160, height: 120, video_bitrate: "150k", playlist_url: expect.stringMatching(/media_1\.m3u8$/) },
    ]);
    const text = async (name: string) => new TextDecoder().decode(await outputBytes(done, 0, name));

    const master = await text("clip.m3u8");
    const variants = [...master.matchAll(/#EXT-X-STREAM-INF:[^\n]*RESOLUTION=(\d+x\d+)[^\n]*\n(\S+)/g)];
    expect(variants.map((m) => [m[1], m[2]])).toEqual([
      ["320x240", "media_0.m3u8"],
      ["160x120", "media_1.m3u8"],
    ]);
    expect(master).toMatch(/#EXT-X-MEDIA:TYPE=AUDIO[^\n]*URI="media_2\.m3u8"/);

    const mpd = await text("clip.mpd");
    expect(result.manifest_url).toMatch(/clip\.mpd$/);
    expect(
      [...mpd.matchAll(/<Representation [^>]*mimeType="video\/mp4"[^>]*height="(\d+)"/g)].map((m) => m[1]),
    ).toEqual(["240", "120"]);
    expect(mpd).toContain('contentType="audio"');
    expect(mpd).toContain('media="clip_$RepresentationID$_$Number%05d$.m4s"');

    // The playlists and the MPD name the same segment files; each rendition's first segment decodes at its size.
    for (const [i, height] of [
      [0, 240],
      [1, 120],
    ] as const) {
      const playlist = await text(`media_${i}.m3u8`);
      expect(playlist).toContain(`#EXT-X-MAP:URI="clip_init_${i}.m4s"`);
      expect(playlist).toContain("#EXT-X-ENDLIST");
      const segments = playlist.split("\n").filter((l) => l.endsWith(".m4s"));
      expect(segments[0]).toBe(`clip_${i}_00001.m4s`);
      expect(segments.length).toBeGreaterThanOrEqual(3);
      const init = new Uint8Array(await outputBytes(done, 0, `clip_init_${i}.m4s`));
      const first = new Uint8Array(await outputBytes(done, 0, segments[0]));
      const joined = new Uint8Array(init.byteLength + first.byteLength);
      joined.set(init);
      joined.set(first, init.byteLength);
      const decoded = await probe(joined);
      expect(decoded.ok).toBe(true);
      expect(decoded.video).toMatchObject({ codec: "h264", height });
    }
  });

  it("refuses a ladder whose renditions together exceed the frame budget, and renditions outside format cmaf", async () => {
    const put = (params: Record<string, unknown>) =>
      api("/api/configurations/bad-ladder", {
        method: "PUT",
        headers: { ...c.auth, "content-type": "application/json" },
        body: JSON.stringify({ adapter: "video-transcode", params }),
      });
    for (const params of [
      { format: "cmaf" },
      { format: "hls", renditions: [{ height: 240, video_bitrate: "400k" }] },
      { format: "cmaf", width: 320, renditions: [{ height: 240, video_bitrate: "400k" }] },
      { format: "cmaf", renditions: [{ height: 240 }] },
    ]) {
      const res = await put(params);
      expect(res.status, JSON.stringify(params)).toBe(400);
    }
    await putConfiguration(c, "big-ladder", {
      adapter: "video-transcode",
      params: {
        format: "cmaf",
        renditions: [
          { height: 540, video_bitrate: "2000k" },
          { height: 360, video_bitrate: "800k" },
        ],
      },
    });
    const done = await run("big-ladder", blue);
    expect(done.status).toBe("Failed");
    expect(done.results[0].result).toBe(
      "The renditions 720×540, 480×360 are encoded together and, added up, exceed the 960×540 frame the media Worker handles.",
    );
  });

  it("takes a thumbnail from a video over the length cap by reading one keyframe interval", async () => {
    // 14 s (the cap is 10 s in tests), red then blue from 7 s, a keyframe every second, index last.
    const long = await video({
      w: 320,
      h: 240,
      d: 14,
      fps: 5,
      gop: 5,
      audio: true,
      color: "red",
      switchTo: { color: "blue", at: 7 },
      moovAtEnd: true,
    });
    await putConfiguration(c, "thumb-early", { adapter: "video-thumbnail", params: { time: 2.5 } });
    await putConfiguration(c, "thumb-late", { adapter: "video-thumbnail", params: { time: 11.5, width: 160 } });
    for (const [name, color, width] of [
      ["thumb-early", [255, 0, 0], 320],
      ["thumb-late", [0, 0, 255], 160],
    ] as const) {
      const done = await run(name, long);
      expect(done.status, JSON.stringify(done.results)).toBe("Succeeded");
      const result = done.results[0].result[0];
      // One second of a 14 s file was read, not the file.
      expect(result.bytes_read).toBeLessThan(long.byteLength / 5);
      const png = await decodePng(await outputBytes(done));
      expect(png.width).toBe(width);
      const i = (Math.floor(png.height / 2) * png.width + Math.floor(png.width / 2)) * 4;
      expect(
        near([png.data[i]!, png.data[i + 1]!, png.data[i + 2]!], [...color], 40),
        `${name}: ${png.data.slice(i, i + 3)}`,
      ).toBe(true);
    }
  });

  it("refuses a thumbnail whose keyframe interval is over the size cap (1 MB in tests), naming it", async () => {
    const oneGop = await video({ w: 320, h: 240, d: 4, fps: 10, gop: 1000, audio: false, noise: true });
    expect(oneGop.byteLength).toBeGreaterThan(1024 * 1024);
    await putConfiguration(c, "thumb-mid", { adapter: "video-thumbnail", params: { time: 2 } });
    const done = await run("thumb-mid", oneGop);
    expect(done.status).toBe("Failed");
    expect(done.results[0].result).toMatch(
      /^clip\.mp4 could not be read as a video \(its keyframes are \d+ MB apart at 2 s, over the 1 MB a step reads at once\)\.$/,
    );
  });

  it("takes a PNG thumbnail at a time, at a width", async () => {
    await putConfiguration(c, "thumb", { adapter: "video-thumbnail", params: { time: 1, width: 160 } });
    const done = await run("thumb", blue);
    expect(done.results[0].result[0].output).toMatchObject({ file_name: "clip.png", content_type: "image/png" });
    const png = await decodePng(await outputBytes(done));
    expect([png.width, png.height]).toEqual([160, 120]);
    const [r, g, b] = png.data.slice(4 * (60 * 160 + 80), 4 * (60 * 160 + 80) + 3);
    expect(near([r!, g!, b!], [0, 0, 255], 40)).toBe(true);
  });
});

describe("video: bad input fails the step clearly", () => {
  beforeAll(async () => {
    await putConfiguration(c, "thumb0", { adapter: "video-thumbnail", params: {} });
    await putConfiguration(c, "transcode0", { adapter: "video-transcode", params: {} });
  });

  it("a PNG sent as a video", async () => {
    const done = await run("thumb0", await encodePng(solid(8, 8, [1, 2, 3, 255])), undefined, "logo.mp4");
    expect(done.status).toBe("Failed");
    expect(done.results[0].result).toMatch(/^logo\.mp4 could not be read as a video \(.+\)\.$/);
  });

  it("a truncated MP4", async () => {
    const done = await run("thumb0", blue.slice(0, 600));
    expect(done.status).toBe("Failed");
    expect(done.results[0].result).toMatch(/^clip\.mp4 could not be read as a video \(.+\)\.$/);
  });

  it("an MP4 cut off before its index (as a plain encoder writes it, index last) says so", async () => {
    const whole = await video({ w: 64, h: 64, d: 2, fps: 5, audio: false, color: "black", moovAtEnd: true });
    const done = await run("thumb0", whole.slice(0, whole.byteLength - 400));
    expect(done.status).toBe("Failed");
    expect(done.results[0].result).toBe(
      "clip.mp4 could not be read as a video (the file has no MP4 index (moov box)).",
    );
  });

  it("an input over the size cap (1 MB in tests)", async () => {
    const big = crypto.getRandomValues(new Uint8Array(1_200_000).subarray(0, 65536));
    const padded = new Uint8Array(1_200_000);
    padded.set(big);
    const done = await run("thumb0", padded);
    expect(done.results[0].result).toBe("clip.mp4 is 2 MB, over the 1 MB video limit of the media Worker.");
  });

  it("an input over the duration cap (10 s in tests), for an adapter that reads it whole", async () => {
    const long = await video({ w: 64, h: 64, d: 12, fps: 5, audio: false, color: "black" });
    const done = await run("transcode0", long);
    expect(done.results[0].result).toBe("clip.mp4 lasts 12 s, over the 10 s video limit of the media Worker.");
  });

  it("an input with frames over 960×540 (ffmpeg would outgrow the isolate), refused from its index", async () => {
    const hd = await video({ w: 1280, h: 720, d: 1, fps: 2, audio: false, color: "black" });
    const done = await run("thumb0", hd);
    expect(done.results[0].result).toMatch(/^clip\.mp4 is 1280×720; the media Worker handles up to 960×540/);
  });

  it("an output scaled past 960×540 is refused before ffmpeg allocates it: transcode, thumbnail, overlay", async () => {
    // Each was once accepted up to 7680 wide: a frame far beyond what the isolate's memory holds.
    await putConfiguration(c, "wide-transcode", { adapter: "video-transcode", params: { width: 7680 } });
    await putConfiguration(c, "wide-thumb", { adapter: "video-thumbnail", params: { width: 7680 } });
    await putConfiguration(c, "wide-overlay", {
      adapter: "video-overlay",
      params: { overlay_file_name: "logo.png", width: 7680 },
    });
    const [transcode, thumb, overlay] = await Promise.all(
      ["wide-transcode", "wide-thumb", "wide-overlay"].map((n) => run(n, blue)),
    );
    expect(transcode.results[0].result).toMatch(/^the output is 7680×5760; the media Worker handles up to 960×540/);
    expect(thumb.results[0].result).toMatch(/^the thumbnail is 7680×5760; the media Worker handles up to 960×540/);
    expect(overlay.results[0].result).toMatch(
      /^the overlay logo\.png is 7680×7680; the media Worker handles up to 960×540/,
    );
    for (const done of [transcode, thumb, overlay])
      expect([done.status, done.steps[0].attempts]).toEqual(["Failed", 1]);
  });

  it("a chain across all three Workers runs each link on its own: thumbnail (media) → text (image) → upload (API)", async () => {
    await putStorage(c, "mixed-target", { prefix: `mixed/${c.name}` });
    await putConfiguration(c, "mixed", {
      chain: [
        { adapter: "video-thumbnail", params: { time: 0.5, width: 160 } },
        {
          adapter: "image-compositor",
          params: { layers: [{ type: "text", text: "MIXED", x: 4, y: 20, size: 20, color: "#ffffff" }] },
        },
        { adapter: "s3-upload", params: { storage: "mixed-target", key_template: "{prefix}/{file_name}" } },
      ],
    });
    const done = await run("mixed", blue);
    expect(done.status, JSON.stringify(done.results)).toBe("Succeeded");
    const [thumb, composed, upload] = done.results[0].result;
    expect(thumb.output.content_type).toBe("image/png");
    expect(composed.output).toMatchObject({ content_type: "image/png" });
    expect(upload).toMatchObject({ bucket_name: "media", file_key: `mixed/${c.name}/${composed.output.file_name}` });
    const png = await decodePng((await s3Bytes("media", upload.file_key)).slice().buffer);
    expect([png.width, png.height]).toEqual([160, 120]);
    expect(done.steps[0].attempts).toBe(3); // one run per segment
  });
});

describe("the seed scenario through HTTP", () => {
  it("image → overlay (overlay_file_name_override) → S3, with a verified webhook, and a 3-adapter chain", async () => {
    await putStorage(c, "abc-uploads", { prefix: `seed/${c.name}` });
    await putConfiguration(c, "tg-image-compositor", {
      adapter: "image-compositor",
      params: {
        width: 120,
        height: 60,
        background: "#00ff00",
        layers: [
          { type: "text", text: "{{additional_context.voucher_code}}", x: 4, y: 14, size: 24, color: "#000000" },
        ],
      },
    });
    await putConfiguration(c, "tg-overlay", {
      adapter: "video-overlay",
      params: { overlay_file_name: "logo.png", position: "bottom-left", margin: 0 },
    });
    await putConfiguration(c, "tg-s3-upload", {
      adapter: "s3-upload",
      params: { storage: "abc-uploads", key_template: "{prefix}/{file_name}" },
    });
    const sink = await newSink(c.secret);
    const form = new FormData();
    form.set("configuration_names", JSON.stringify(["tg-image-compositor", "tg-overlay", "tg-s3-upload"]));
    form.set(
      "tg-image-compositor_data",
      file(await encodePng(solid(12, 6, [0, 255, 0, 255])), "voucher.png", "image/png"),
    );
    form.set("tg-image-compositor_extras", JSON.stringify({ additional_context: { voucher_code: "SEED-1" } }));
    form.set("tg-overlay_data", file(blue, "talk.mp4", "video/mp4"));
    form.set("tg-overlay_extras", JSON.stringify({ overlay_file_name_override: "tg-image-compositor" }));
    form.set("tg-s3-upload_input", "tg-overlay");
    form.set("webhook_url", sink.url);
    const { body } = await submit(c, form);
    const done = await waitForEnd(c, body.task_id, 120_000);
    expect(done.status, JSON.stringify(done.results)).toBe("Succeeded");
    expect(done.results.map((r: any) => r.configuration)).toEqual([
      "tg-image-compositor",
      "tg-overlay",
      "tg-s3-upload",
    ]);
    const key = done.results[2].result[0].file_key;
    expect(key).toBe(`seed/${c.name}/talk.mp4`);
    const uploaded = await s3Bytes("media", key);
    const f = await frame(uploaded, 1);
    expect(near(rgb(f, 60, 240 - 30), [0, 255, 0], 50), `overlay pixel ${rgb(f, 60, 210)}`).toBe(true); // the composed voucher, bottom-left
    expect(near(rgb(f, 300, 20), [0, 0, 255], 40)).toBe(true);
    const [hook] = await sink.waitFor(1);
    expect(hook.verified).toBe(true);
    expect(JSON.parse(hook.body)).toEqual({ status: "Succeeded", task_id: body.task_id, results: done.results });

    const outro = await video({ w: 320, h: 240, d: 1, color: "white" });
    expect(
      (
        await api("/api/assets/outro.mp4", {
          method: "PUT",
          headers: { ...c.auth, "content-type": "video/mp4" },
          body: outro,
        })
      ).status,
    ).toBe(201);
    await putConfiguration(c, "chain-video-join", {
      chain: [
        { adapter: "video-overlay", params: { overlay_file_name: "logo.png" } },
        { adapter: "video-join", params: { append_file_name: "outro.mp4" } },
        { adapter: "s3-upload", params: { storage: "abc-uploads", key_template: "{prefix}/joined/{file_name}" } },
      ],
    });
    const chained = await run("chain-video-join", blue);
    expect(chained.status, JSON.stringify(chained.results)).toBe("Succeeded");
    const results = chained.results[0].result;
    expect(results).toHaveLength(3);
    expect(results[0].output.content_type).toBe("video/mp4");
    expect(Math.abs(results[1].duration - 3)).toBeLessThanOrEqual(0.1);
    expect(results[2]).toMatchObject({ bucket_name: "media", file_key: `seed/${c.name}/joined/clip.mp4` });
    const head = await s3.fetch(results[2].url, { method: "HEAD" });
    expect(head.status).toBe(200);
  });
});
