/** Helpers shared by the entry readers: contiguous runs of sorted entries, and payload sizes. */

/** Sorted, distinct entries as runs [start, end): a batch is read run by run. */
export function entryRuns(entries: Uint32Array): { start: number; end: number }[] {
  const sorted = Uint32Array.from(entries).sort();
  const runs: { start: number; end: number }[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const e = sorted[i];
    const last = runs[runs.length - 1];
    if (last && e < last.end) continue; // duplicate
    if (last && e === last.end) last.end++;
    else runs.push({ start: e, end: e + 1 });
  }
  return runs;
}

/** The entries of `runs` in order (what a payload built run by run holds). */
export function runEntries(runs: { start: number; end: number }[]): Uint32Array {
  const n = runs.reduce((a, r) => a + r.end - r.start, 0);
  const out = new Uint32Array(n);
  let k = 0;
  for (const r of runs) for (let e = r.start; e < r.end; e++) out[k++] = e;
  return out;
}

/** Bytes of the typed arrays inside a payload (what a batch moves, for MB/s). */
export function payloadBytes(x: unknown, depth = 0): number {
  if (depth > 8 || x === null || typeof x !== 'object') return 0;
  if (ArrayBuffer.isView(x)) return x.byteLength;
  let n = 0;
  for (const v of Array.isArray(x) ? x : Object.values(x)) n += payloadBytes(v, depth + 1);
  return n;
}
