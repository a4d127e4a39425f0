/** Video helpers for tests in workerd: fixtures and decoding happen in Node (ffmpeg.wasm), over the receiver. */
import { inject } from "vitest";

export async function video(
  o: {
    w?: number;
    h?: number;
    d?: number;
    fps?: number;
    audio?: boolean;
    color?: string;
    gop?: number;
    moovAtEnd?: boolean;
    switchTo?: { color: string; at: number };
    noise?: boolean;
  } = {},
): Promise<Uint8Array> {
  const q = new URLSearchParams({
    w: String(o.w ?? 320),
    h: String(o.h ?? 240),
    d: String(o.d ?? 2),
    fps: String(o.fps ?? 25),
    audio: o.audio === false ? "0" : "1",
  });
  if (o.color) q.set("color", o.color);
  if (o.gop) q.set("gop", String(o.gop));
  if (o.moovAtEnd) q.set("moov", "end");
  if (o.noise) q.set("noise", "1");
  if (o.switchTo) {
    q.set("switch", o.switchTo.color);
    q.set("switch_at", String(o.switchTo.at));
  }
  const res = await fetch(`${inject("receiverUrl")}/video?${q}`);
  if (!res.ok) throw new Error(`fixture: ${res.status} ${await res.text()}`);
  return new Uint8Array(await res.arrayBuffer());
}

export interface Probe {
  ok: boolean;
  video: { codec: string; width: number; height: number } | null;
  audio: { codec: string } | null;
  duration: number | null;
  decodedUntil: number | null;
}

export async function probe(bytes: ArrayBuffer | Uint8Array): Promise<Probe> {
  return (await (await fetch(`${inject("receiverUrl")}/probe`, { method: "POST", body: bytes })).json()) as Probe;
}

export async function frame(
  bytes: ArrayBuffer | Uint8Array,
  t: number,
): Promise<{ width: number; height: number; rgba: Uint8Array }> {
  const f = (await (await fetch(`${inject("receiverUrl")}/frame?t=${t}`, { method: "POST", body: bytes })).json()) as {
    width: number;
    height: number;
    rgba: string;
  };
  return { width: f.width, height: f.height, rgba: Uint8Array.from(atob(f.rgba), (c) => c.charCodeAt(0)) };
}

export function rgb(f: { width: number; rgba: Uint8Array }, x: number, y: number): [number, number, number] {
  const i = (y * f.width + x) * 4;
  return [f.rgba[i]!, f.rgba[i + 1]!, f.rgba[i + 2]!];
}
