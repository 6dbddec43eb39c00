/**
 * Ragged (CSR) containers for training data: rows of `width` values, grouped
 * per event by `offsets` (length n+1, in rows). Never padded to the largest event.
 */
export interface Ragged<T extends Float32Array | Int32Array | Uint32Array | Float64Array> {
  values: T;
  /** offsets[i]..offsets[i+1] are the rows of event i; length = events + 1 */
  offsets: Uint32Array;
  /** values per row */
  width: number;
}
export type RaggedF32 = Ragged<Float32Array>;
export type RaggedI32 = Ragged<Int32Array>;

export function raggedLength(r: Ragged<Float32Array | Int32Array | Uint32Array | Float64Array>): number {
  return r.offsets.length - 1;
}

/** Rows of event i as a subarray view (no copy). */
export function raggedRow<T extends Float32Array | Int32Array | Uint32Array | Float64Array>(r: Ragged<T>, i: number): T {
  return r.values.subarray(r.offsets[i]! * r.width, r.offsets[i + 1]! * r.width) as T;
}

/** Builds offsets from per-event counts. */
export function offsetsFromCounts(counts: ArrayLike<number>): Uint32Array {
  const o = new Uint32Array(counts.length + 1);
  for (let i = 0; i < counts.length; i++) o[i + 1] = o[i]! + counts[i]!;
  return o;
}

/** Checks the CSR invariants; returns a problem description or null. */
export function checkRagged(r: Ragged<Float32Array | Int32Array | Uint32Array | Float64Array>): string | null {
  if (r.offsets.length < 1) return 'offsets is empty';
  if (r.offsets[0] !== 0) return 'offsets[0] != 0';
  for (let i = 1; i < r.offsets.length; i++) if (r.offsets[i]! < r.offsets[i - 1]!) return `offsets decrease at ${i}`;
  if (r.offsets[r.offsets.length - 1]! * r.width !== r.values.length) return 'last offset does not match values length';
  return null;
}

/** Concatenates ragged arrays of the same width (e.g. reading several entry ranges). */
export function concatRagged(parts: RaggedF32[]): RaggedF32 {
  const width = parts[0]?.width ?? 1;
  const nEv = parts.reduce((a, p) => a + p.offsets.length - 1, 0);
  const nVal = parts.reduce((a, p) => a + p.values.length, 0);
  const values = new Float32Array(nVal);
  const offsets = new Uint32Array(nEv + 1);
  let v = 0;
  let e = 0;
  let rows = 0;
  for (const p of parts) {
    if (p.width !== width) throw new Error('concatRagged: widths differ');
    values.set(p.values, v);
    v += p.values.length;
    for (let i = 1; i < p.offsets.length; i++) offsets[++e] = rows + p.offsets[i]!;
    rows += p.offsets[p.offsets.length - 1]!;
  }
  return { values, offsets, width };
}
