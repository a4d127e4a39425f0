/** Bytes `from` … `from + length` of an endless pattern both sides of a test can rebuild to check a copy. */
export function patternBytes(from: number, length: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = ((from + i) * 31 + ((from + i) >>> 16)) & 255;
  return out;
}
