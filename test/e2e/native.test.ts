/**
 * Black-box, `npm run dev`: video steps beyond the media Worker's WASM budget run on the native media
 * server (native/server.mjs with Debian's ffmpeg, the process `npm run dev` starts and restarts), which
 * reads its inputs and writes its outputs through file grants. Outputs are checked as a user would:
 * ffprobe, pixels, playlists opened through their signed links, the object in S3.
 */
import { AwsClient } from "aws4fetch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devClient } from "./client";
import { startDev } from "./dev-server";
import { PORTS } from "./ports";
import { ffprobe, ffprobeAt, hasNativeFfmpeg, makeVideo, pixelAt, solidPng } from "../support/native-ffmpeg";

const { port: PORT, s3Port: S3_PORT } = PORTS.native;
const BASE = `http://127.0.0.1:${PORT}`;
const api = devClient(BASE);
const s3 = new AwsClient({ accessKeyId: "S3RVER", secretAccessKey: "S3RVER", service: "s3", region: "us-east-1" });

let dev: Awaited<ReturnType<typeof startDev>>;
let talk: Uint8Array; // 60 s of 1080p with a tone
let short1080: Uint8Array; // 8 s of 1080p
const MP4 = "video/mp4";

const durationOf = (s: { duration?: string }) => Number(s.duration);
const near = (a: number[], b: number[], tol: number) => a.every((v, i) => Math.abs(v - b[i]!) <= tol);

async function s3Keys(prefix: string): Promise<string[]> {
  const res = await s3.fetch(`http://127.0.0.1:${S3_PORT}/demo?list-type=2&prefix=${encodeURIComponent(prefix)}`);
  expect(res.status).toBe(200);
  return [...(await res.text()).matchAll(/<Key>([^<]+)<\/Key>/g)].map((m) => m[1]!);
}

async function s3Object(key: string): Promise<Uint8Array> {
  const res = await s3.fetch(`http://127.0.0.1:${S3_PORT}/demo/${key}`);
  expect(res.status).toBe(200);
  return new Uint8Array(await res.arrayBuffer());
}

beforeAll(async () => {
  expect(hasNativeFfmpeg, "these tests need Debian's ffmpeg (apt-get install ffmpeg)").toBe(true);
  talk = await makeVideo({ w: 1920, h: 1080, seconds: 60 });
  short1080 = await makeVideo({ w: 1920, h: 1080, seconds: 8 });
  dev = await startDev(PORT, S3_PORT);
  expect(dev.nativeUrl(), dev.logTail()).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  await api.putAsset("logo.png", await solidPng(200, 100, "red"), "image/png");
  await api.storage({
    name: "out",
    type: "s3",
    region: "us-east-1",
    endpoint: `http://127.0.0.1:${S3_PORT}`,
    bucket: "demo",
    prefix: "native",
    access_key_id: "S3RVER",
    secret_access_key: "S3RVER",
  });
}, 240_000);

afterAll(() => dev?.stop());

describe("the native runtime under npm run dev", () => {
  it("a 60 s 1080p talk through overlay then s3-upload: 1920×1080, same duration, audio as long, the overlay at both ends", async () => {
    await api.configure("talk", {
      chain: [
        { adapter: "video-overlay", params: { overlay_file_name: "logo.png", position: "top-left" } },
        { adapter: "s3-upload", params: { storage: "out", key_template: "{prefix}/talk/{timestamp}_{file_name}" } },
      ],
    });
    const id = await api.submit(["talk"], { talk_data: [talk, "talk.mp4", MP4] });
    const done = await api.waitForEnd(id);
    expect(done.status, JSON.stringify(done.results ?? done.steps, null, 1) + dev.logTail()).toBe("Succeeded");
    const [overlay, upload] = done.results[0].result;
    expect(overlay).toMatchObject({ runtime: "native", width: 1920, height: 1080 });
    expect(overlay.ffmpeg_peak_mb).toBeGreaterThan(0);
    const out = await s3Object(upload.file_key);
    const info = await ffprobe(out);
    const v = info.streams.find((s) => s.codec_type === "video")!;
    const a = info.streams.find((s) => s.codec_type === "audio")!;
    expect([v.width, v.height]).toEqual([1920, 1080]);
    expect(Math.abs(Number(info.format.duration) - 60)).toBeLessThanOrEqual(0.1);
    expect(Math.abs(durationOf(a) - durationOf(v))).toBeLessThanOrEqual(0.1);
    // The logo (200×100, red) sits 16 px from the top-left corner: its middle is red at the start and at the end.
    for (const t of [0.5, 59.5]) expect(near(await pixelAt(out, t, 116, 66), [255, 0, 0], 60), `at ${t} s`).toBe(true);
  }, 300_000);

  it("a 1080p → 1080/720/360 ladder: HLS and DASH open through their links, a segment of each rendition decodes at its height", async () => {
    const renditions = [
      { height: 1080, video_bitrate: "3000k" },
      { height: 720, video_bitrate: "1500k" },
      { height: 360, video_bitrate: "500k" },
    ];
    await api.configure("ladder", { adapter: "video-transcode", params: { format: "cmaf", renditions } });
    const done = await api.waitForEnd(await api.submit(["ladder"], { ladder_data: [short1080, "show.mp4", MP4] }));
    expect(done.status, JSON.stringify(done.results) + dev.logTail()).toBe("Succeeded");
    const result = done.results[0].result[0];
    expect(result.runtime).toBe("native");
    const master = new TextDecoder().decode(await api.bytes(result.playlist_url));
    expect(master.match(/#EXT-X-STREAM-INF/g)).toHaveLength(3);
    for (const [i, r] of result.renditions.entries()) {
      expect(r.height).toBe(renditions[i]!.height);
      const media = new TextDecoder().decode(await api.bytes(r.playlist_url));
      const init = /#EXT-X-MAP:URI="([^"]+)"/.exec(media)![1]!;
      const first = media.split("\n").find((l) => l.endsWith(".m4s"))!;
      const seg = new Uint8Array([
        ...(await api.bytes(new URL(init, r.playlist_url).href)),
        ...(await api.bytes(new URL(first, r.playlist_url).href)),
      ]);
      const v = (await ffprobe(seg)).streams.find((s) => s.codec_type === "video")!;
      expect(v.height).toBe(r.height);
    }
    // ffprobe reads the MPD and the HLS master as a player does, following their relative links.
    for (const url of [result.manifest_url, result.playlist_url]) {
      const streams = (await ffprobeAt(url)).streams.filter((st) => st.codec_type === "video");
      // A stream listed in several programs is listed once per program.
      const heights = new Set(streams.map((st) => Number(st.height)));
      expect([...heights].sort((a, b) => b - a)).toEqual([1080, 720, 360]);
    }
  }, 300_000);

  it("a 2160p thumbnail, read through ranged requests", async () => {
    await api.configure("thumb4k", { adapter: "video-thumbnail", params: { time: 1 } });
    const uhd = await makeVideo({ w: 3840, h: 2160, seconds: 2 });
    const done = await api.waitForEnd(await api.submit(["thumb4k"], { thumb4k_data: [uhd, "uhd.mp4", MP4] }));
    expect(done.status, JSON.stringify(done.results)).toBe("Succeeded");
    const result = done.results[0].result[0];
    expect(result.runtime).toBe("native");
    const png = await api.bytes(result.output.url);
    const dv = new DataView(png.buffer, png.byteOffset);
    expect([dv.getUint32(16), dv.getUint32(20)]).toEqual([3840, 2160]);
  }, 300_000);

  it("routes by size: 360p on WASM, 1080p on native; a pinned runtime is obeyed, or refused with the reason", async () => {
    const small = await makeVideo({ w: 640, h: 360, seconds: 2 });
    const overlay = { overlay_file_name: "logo.png" };
    await api.configure("auto", { adapter: "video-overlay", params: overlay });
    await api.configure("pin-wasm", { adapter: "video-overlay", params: { ...overlay, runtime: "wasm" } });
    await api.configure("pin-native", { adapter: "video-overlay", params: { ...overlay, runtime: "native" } });
    const runs = {
      small: api.submit(["auto"], { auto_data: [small, "small.mp4", MP4] }),
      large: api.submit(["auto"], { auto_data: [short1080, "large.mp4", MP4] }),
      wasm: api.submit(["pin-wasm"], { "pin-wasm_data": [short1080, "large.mp4", MP4] }),
      native: api.submit(["pin-native"], { "pin-native_data": [small, "small.mp4", MP4] }),
    };
    const [small360, large1080, pinnedWasm, pinnedNative] = await Promise.all(
      Object.values(runs).map(async (id) => api.waitForEnd(await id)),
    );
    expect(small360.results[0].result[0].runtime).toBe("wasm");
    expect(large1080.results[0].result[0].runtime).toBe("native");
    expect(pinnedNative.results[0].result[0].runtime).toBe("native");
    expect(pinnedWasm.status).toBe("Failed");
    expect(pinnedWasm.results[0].result).toMatch(
      /^large\.mp4 is \d+ MB, over the 4 MB video limit of the media Worker\.$/,
    );
  }, 300_000);

  it("the native server killed mid-job: the step runs again, and one output exists", async () => {
    await api.configure("kill", {
      chain: [
        { adapter: "video-overlay", params: { overlay_file_name: "logo.png" } },
        { adapter: "s3-upload", params: { storage: "out", key_template: "{prefix}/killed/{timestamp}_{file_name}" } },
      ],
    });
    const id = await api.submit(["kill"], { kill_data: [talk, "talk.mp4", MP4] });
    const native = dev.nativeUrl()!;
    // Killed while ffmpeg works: the step has reported progress, and the server is busy.
    for (const until = Date.now() + 120_000; ; ) {
      const view = await api.view(id);
      const health = (await (await fetch(`${native}/healthz`)).json()) as { busy: boolean; pid: number };
      if (view.steps[0].progress >= 10 && health.busy) {
        process.kill(health.pid, "SIGKILL");
        break;
      }
      if (Date.now() > until) throw new Error(`the job never got going: ${JSON.stringify(view.steps)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const done = await api.waitForEnd(id);
    expect(done.status, JSON.stringify(done.steps) + dev.logTail()).toBe("Succeeded");
    // A step's attempts count the runs of all its segments: the killed overlay, its re-run, the upload.
    expect(done.steps[0].attempts).toBe(3);
    expect(await s3Keys("native/killed")).toHaveLength(1);
  }, 360_000);

  it("bad inputs get clear errors: not a video, a truncated MP4, a frame over the native limit", async () => {
    await api.configure("tc", { adapter: "video-transcode", params: { format: "mp4", height: 360 } });
    await api.configure("big-thumb", { adapter: "video-thumbnail", params: { width: 7680 } });
    // Over WASM's 4 MB, and no MP4: only the native server's probe can tell what it is.
    const noise = new Uint8Array(6 * 1024 * 1024).map((_, i) => (i * 2654435761) >>> 24);
    const truncated = short1080.slice(0, Math.floor(short1080.byteLength * 0.6));
    const [notVideo, cut, tooLarge] = await Promise.all([
      api.submit(["tc"], { tc_data: [noise, "noise.bin", "application/octet-stream"] }),
      api.submit(["tc"], { tc_data: [truncated, "cut.mp4", MP4] }),
      api.submit(["big-thumb"], { "big-thumb_data": [short1080, "large.mp4", MP4] }),
    ]).then((ids) => Promise.all(ids.map((id) => api.waitForEnd(id))));
    expect(notVideo.status).toBe("Failed");
    expect(notVideo.results[0].result).toBe("noise.bin could not be read as a video (ffprobe found no video in it).");
    expect(cut.status).toBe("Failed");
    expect(cut.results[0].result).toMatch(/^cut\.mp4 could not be read as a video \(the file is cut off/);
    expect(tooLarge.status).toBe("Failed");
    expect(tooLarge.results[0].result).toBe("the thumbnail is 7680×4320; the native runtime handles up to 3840×2160.");
  }, 300_000);
});

describe("a native server that cannot be reached", () => {
  const ports = PORTS.nativeUnreachable;
  let unreachable: Awaited<ReturnType<typeof startDev>>;
  beforeAll(async () => {
    // Nothing listens on port 9 (discard) here: every connection is refused at once.
    unreachable = await startDev(ports.port, ports.s3Port, { NATIVE_URL: "http://127.0.0.1:9" });
  }, 240_000);
  afterAll(() => unreachable?.stop());

  it("the step is retried, then fails with a clear message", async () => {
    const client = devClient(`http://127.0.0.1:${ports.port}`);
    await client.putAsset("logo.png", await solidPng(20, 20, "red"), "image/png");
    await client.configure("ov", { adapter: "video-overlay", params: { overlay_file_name: "logo.png" } });
    const done = await client.waitForEnd(await client.submit(["ov"], { ov_data: [short1080, "large.mp4", MP4] }));
    expect(done.status).toBe("Failed");
    expect(done.steps[0].attempts).toBe(3);
    expect(done.results[0].result).toMatch(/^The native media runtime could not be reached \(/);
  }, 240_000);
});
