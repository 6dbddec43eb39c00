/**
 * A data file's content fingerprint, cheap for multi-GB files: SHA-256 over the size (as
 * 8 little-endian bytes), the first MiB and the last MiB. Two files with equal fingerprints
 * are the same file for all practical purposes; it is not a full-content hash.
 */
export const FINGERPRINT_SPAN = 1 << 20;

export async function fingerprintBytes(size: number, head: Uint8Array, tail: Uint8Array): Promise<string> {
  const buf = new Uint8Array(8 + head.length + tail.length);
  new DataView(buf.buffer).setBigUint64(0, BigInt(size), true);
  buf.set(head, 8);
  buf.set(tail, 8 + head.length);
  const digest = await crypto.subtle.digest('SHA-256', buf);
  return `sha256-1m:${[...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

export async function fingerprintFile(file: Blob): Promise<string> {
  const span = Math.min(FINGERPRINT_SPAN, file.size);
  const head = new Uint8Array(await file.slice(0, span).arrayBuffer());
  // For a file under 2 MiB the tail overlaps the head; it is hashed again, which is harmless.
  const tail = new Uint8Array(await file.slice(file.size - span).arrayBuffer());
  return fingerprintBytes(file.size, head, tail);
}
