/**
 * The real image (native/Dockerfile) once: `.ci/native-image.sh` builds it (Debian's Docker engine, a
 * debootstrapped base, `docker build`), this suite runs it with `--network host` and drives one
 * 1080p job through the engine into it. CI sets NATIVE_IMAGE; in CI without it the suite fails, so
 * the step can never pass silently. Elsewhere it is skipped unless NATIVE_IMAGE is given.
 */
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ffprobe, makeVideo, solidPng } from "../support/native-ffmpeg";
import { devClient } from "./client";
import { startDev } from "./dev-server";
import { PORTS } from "./ports";

const image = process.env.NATIVE_IMAGE;
const { port: PORT, s3Port: S3_PORT } = PORTS.nativeImage;
// The container's server port: beside the suite's own, on the host's network.
const CONTAINER_PORT = PORT + 1;
const docker = (...args: string[]) => spawnSync("docker", args, { encoding: "utf8" });

describe.skipIf(!image && !process.env.CI)("the native image under Docker", () => {
  let dev: Awaited<ReturnType<typeof startDev>>;
  let container = "";

  beforeAll(async () => {
    expect(image, "CI builds the image with .ci/native-image.sh and sets NATIVE_IMAGE").toBeTruthy();
    const run = docker(
      "run",
      "-d",
      "--rm",
      "--network",
      "host",
      "-e",
      `PORT=${CONTAINER_PORT}`,
      "-e",
      "HOST=127.0.0.1",
      image!,
    );
    expect(run.status, run.stderr).toBe(0);
    container = run.stdout.trim();
    for (const until = Date.now() + 60_000; ; ) {
      const ok = await fetch(`http://127.0.0.1:${CONTAINER_PORT}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (Date.now() > until) throw new Error(`the container did not answer: ${docker("logs", container).stderr}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    dev = await startDev(PORT, S3_PORT, { NATIVE_URL: `http://127.0.0.1:${CONTAINER_PORT}` });
  }, 240_000);

  afterAll(() => {
    dev?.stop();
    if (container) docker("rm", "-f", container);
  });

  it("runs a 1080p overlay inside the container: Debian's ffmpeg there, the file back through the grants", async () => {
    const api = devClient(`http://127.0.0.1:${PORT}`);
    await api.putAsset("logo.png", await solidPng(100, 50, "red"), "image/png");
    await api.configure("ov", { adapter: "video-overlay", params: { overlay_file_name: "logo.png" } });
    const clip = await makeVideo({ w: 1920, h: 1080, seconds: 6 });
    const done = await api.waitForEnd(await api.submit(["ov"], { ov_data: [clip, "clip.mp4", "video/mp4"] }));
    expect(done.status, JSON.stringify(done.results) + dev.logTail()).toBe("Succeeded");
    const result = done.results[0].result[0];
    expect(result).toMatchObject({ runtime: "native", width: 1920, height: 1080 });
    const out = await ffprobe(await api.bytes(result.output.url));
    expect(out.streams.find((s) => s.codec_type === "video")).toMatchObject({ width: 1920, height: 1080 });
    // The server that ran it is the container's process, not one `npm run dev` started.
    expect(dev.nativeUrl()).toBe(`http://127.0.0.1:${CONTAINER_PORT}`);
    expect(docker("top", container).stdout).toMatch(/node server\.mjs/);
  }, 240_000);
});
