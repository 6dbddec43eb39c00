/**
 * IEEE 754 binary16 (numpy's float16, dtype <f2) → number. Every half is exactly a float32,
 * so decoding to Float32Array loses nothing.
 */
export function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // zero and subnormals
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Little-endian float16 bytes → Float32Array. */
export function decodeHalfs(bytes: Uint8Array): Float32Array {
  const n = bytes.byteLength >> 1;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = halfToNumber(dv.getUint16(2 * i, true));
  return out;
}
