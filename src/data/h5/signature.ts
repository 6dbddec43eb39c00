/** The 8-byte HDF5 format signature. */
export const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a] as const;

/**
 * Offset of the HDF5 superblock signature in `head` (0, 512, 1024, 2048, ...;
 * a user block may precede it) or -1 when there is none in the bytes given.
 */
export function findHdf5Signature(head: Uint8Array): number {
  for (let off = 0; off + 8 <= head.length; off = off === 0 ? 512 : off * 2) {
    let ok = true;
    for (let i = 0; i < 8; i++)
      if (head[off + i] !== HDF5_SIGNATURE[i]) {
        ok = false;
        break;
      }
    if (ok) return off;
  }
  return -1;
}
