/**
 * Entry readers for generic jagged HDF5 files (src/data/generic/sets.ts layouts): one set
 * (Deep Sets) or one event of hits (clustering) per entry. Only the element rows of the
 * batch's entries are read; a `counts` index is summed once at open (8 bytes per entry kept),
 * an `offsets` index is read per batch.
 *
 * A shuffled batch makes nearly every entry its own run, and each h5wasm read has a fixed
 * cost (open, select, read, copy: ~75 µs in Node here, up to 2–5 ms on a loaded machine), so the
 * reads are coalesced: the batch's runs, in ascending order, are grouped per dataset into one
 * read while the rows between two runs take at most `gapBytes` (read through and sliced away,
 * never checked), so a run of nearby sets costs one call per dataset instead of one per set.
 */
import { toFloat64 } from '../h5/decode';
import type { H5Source } from '../h5/source';
import { hitFeatures, hitPositionDims, type JaggedHits, type JaggedSets, type JaggedSetsLayout } from '../generic/sets';
import { unsafeValue, SAFE_VALUES } from '../values';
import { StreamDataError, type EntryReader } from './types';
import { entryRuns } from './runs';

/** Reads slices of a 1-D numeric dataset in pieces (bounded memory for the counts scan). */
const SCAN_ROWS = 1 << 20;

/**
 * Rows between two wanted ranges of one dataset are read through when they take at most this
 * many bytes. Measured in Node (h5wasm 0.10, contiguous columns, 2 loaded cores): a read costs
 * ~75 µs (median) up to ~32 KiB; 64 KiB more costs ~8 µs for a float32 column and ~20 µs for
 * int64 offsets, a fraction of the call it saves (only wanted rows are decoded).
 */
export const READ_GAP_BYTES = 64 << 10;
/**
 * A coalesced read stops growing past this many bytes: one read's memory stays small, and
 * measured (200,000 sets, batches of 32 and 256) 256 KiB reads were as fast as 4 MiB ones or
 * faster, 64 KiB ones slower.
 */
export const MERGED_READ_BYTES = 256 << 10;

export interface JaggedReadOptions {
  /** Largest gap read through between two wanted ranges, in bytes; negative: one read per run (no coalescing). */
  gapBytes?: number;
  /** Largest coalesced read, in bytes (a single range larger than this is still read whole). */
  maxReadBytes?: number;
}
type Coalescing = Required<JaggedReadOptions>;
const coalescing = (o: JaggedReadOptions): Coalescing => ({
  gapBytes: o.gapBytes ?? READ_GAP_BYTES,
  maxReadBytes: o.maxReadBytes ?? MERGED_READ_BYTES,
});

/** Rows [start, end) of a 1-D dataset. */
interface Range {
  start: number;
  end: number;
}

/**
 * Groups ascending, disjoint `ranges` into reads: the next range joins the current read when
 * the rows between them are at most `gapRows` and the read stays within `maxRows` (a range
 * larger than that is read alone). Empty ranges need no read and join none.
 */
export function coalesceRanges(
  ranges: Range[],
  gapRows: number,
  maxRows: number,
): { start: number; end: number; first: number; last: number }[] {
  const reads: { start: number; end: number; first: number; last: number }[] = [];
  let cur: (typeof reads)[number] | null = null;
  ranges.forEach((r, i) => {
    if (r.end <= r.start) return;
    if (cur && gapRows >= 0 && r.start - cur.end <= gapRows && r.end - cur.start <= maxRows) {
      cur.end = r.end;
      cur.last = i;
    } else {
      cur = { start: r.start, end: r.end, first: i, last: i };
      reads.push(cur);
    }
  });
  return reads;
}

/**
 * Reads `ranges` (ascending, disjoint) of the 1-D dataset `path` in coalesced calls, handing
 * each non-empty range's values to `visit` in ascending order (a view into the read; empty
 * ranges are visited with an empty array, in order too).
 */
function readRanges(src: H5Source, path: string, ranges: Range[], c: Coalescing, visit: (i: number, v: Float64Array) => void): void {
  const size = Math.max(1, src.info(path).dtype.size);
  const gapRows = c.gapBytes < 0 ? -1 : Math.floor(c.gapBytes / size);
  const reads = coalesceRanges(ranges, gapRows, Math.max(1, Math.floor(c.maxReadBytes / size)));
  const empty = new Float64Array(0);
  let next = 0;
  for (const rd of reads) {
    for (; next < rd.first; next++) visit(next, empty);
    const raw = src.readNumeric(path, rd.start, rd.end - rd.start);
    // only the wanted rows are converted: the gap costs its read, not its decoding (int64 rows
    // become numbers one BigInt at a time, ~0.1–0.5 µs each)
    for (; next <= rd.last; next++) {
      const r = ranges[next];
      visit(next, r.end > r.start ? toFloat64(raw.subarray(r.start - rd.start, r.end - rd.start)) : empty);
    }
  }
  for (; next < ranges.length; next++) visit(next, empty);
}

class JaggedIndex {
  private prefix: Float64Array | null = null;
  readonly entries: number;

  constructor(
    private src: H5Source,
    private layout: JaggedSetsLayout,
  ) {
    const rows = src.info(layout.offsets).shape[0] ?? 0;
    this.entries = layout.mode === 'offsets' ? Math.max(0, rows - 1) : rows;
    if (layout.mode === 'counts') {
      const p = new Float64Array(rows + 1);
      for (let s = 0; s < rows; s += SCAN_ROWS) {
        const c = toFloat64(src.readNumeric(layout.offsets, s, Math.min(SCAN_ROWS, rows - s)));
        for (let i = 0; i < c.length; i++) {
          if (!(Number.isInteger(c[i]) && c[i] >= 0))
            throw new StreamDataError(src.fileName, layout.offsets, s + i, `count ${c[i]} (expected a non-negative integer)`);
          p[s + i + 1] = p[s + i] + c[i];
        }
      }
      this.prefix = p;
    }
  }

  /** Element boundaries of each run's entries start..end (end - start + 1 values per run), checked run by run. */
  bounds(runs: Range[], c: Coalescing): Float64Array[] {
    const prefix = this.prefix;
    if (prefix) return runs.map((r) => prefix.subarray(r.start, r.end + 1));
    const out: Float64Array[] = [];
    const rows = runs.map((r) => ({ start: r.start, end: r.end + 1 }));
    readRanges(this.src, this.layout.offsets, rows, c, (k, o) => {
      const start = rows[k].start;
      for (let i = 0; i < o.length; i++) {
        if (!(Number.isInteger(o[i]) && o[i] >= 0) || (i > 0 && o[i] < o[i - 1]))
          throw new StreamDataError(
            this.src.fileName,
            this.layout.offsets,
            start + Math.max(0, i - 1),
            `offset ${o[i]} (expected non-decreasing non-negative integers)`,
          );
      }
      out.push(o);
    });
    return out;
  }
}

interface Run {
  /** entries [start, end) */
  start: number;
  end: number;
  /** element boundaries of the run's entries (end - start + 1 values) */
  b: Float64Array;
  /** elements [e0, e1) */
  e0: number;
  e1: number;
}

interface Rows {
  /** interleaved features [rows × width] */
  values: Float32Array;
  offsets: Uint32Array;
  /** the entry each set came from, in order */
  entries: Uint32Array;
  /** the batch's runs of consecutive entries, ascending */
  runs: Run[];
}

/** The entry of run `r` that holds element `elem` (the last entry starting at or before it). */
function entryOf(r: Run, elem: number): number {
  let e = r.start;
  while (e + 1 < r.end && r.b[e + 1 - r.start] <= elem) e++;
  return e;
}

/**
 * Reads the element columns of `entries` interleaved, sets in ascending entry order, checking
 * every wanted value. A batch with several bad values reports the one a run-by-run read would
 * meet first: the first bad element of the first run (then column, in layout order) holding one.
 */
function readRows(src: H5Source, index: JaggedIndex, columns: string[], entries: Uint32Array, c: Coalescing): Rows {
  const entryRanges = entryRuns(entries);
  const bounds = index.bounds(entryRanges, c);
  const runs: Run[] = entryRanges.map((r, i) => {
    const b = bounds[i];
    return { ...r, b, e0: b[0], e1: b[b.length - 1] };
  });
  const width = columns.length;
  const nSets = runs.reduce((a, r) => a + r.end - r.start, 0);
  const nRows = runs.reduce((a, r) => a + r.e1 - r.e0, 0);
  if (nRows * width > 2 ** 31)
    throw new StreamDataError(
      src.fileName,
      columns[0],
      runs[0]?.start ?? null,
      `a batch of ${nRows} elements is too large; lower the batch size`,
    );
  const values = new Float32Array(nRows * width);
  const offsets = new Uint32Array(nSets + 1);
  const order = new Uint32Array(nSets);
  const firstRow = new Float64Array(runs.length);
  let set = 0;
  let row = 0;
  runs.forEach((r, k) => {
    for (let e = r.start; e < r.end; e++) {
      order[set] = e;
      offsets[set + 1] = offsets[set] + (r.b[e - r.start + 1] - r.b[e - r.start]);
      set++;
    }
    firstRow[k] = row;
    row += r.e1 - r.e0;
  });
  const elementRanges = runs.map((r) => ({ start: r.e0, end: r.e1 }));
  let bad: { run: number; col: number; elem: number; value: number } | null = null;
  columns.forEach((col, ci) => {
    readRanges(src, col, elementRanges, c, (k, v) => {
      if (bad && bad.run < k) return;
      const base = firstRow[k];
      for (let i = 0; i < v.length; i++) {
        if (unsafeValue(v[i])) {
          if (!bad || k < bad.run) bad = { run: k, col: ci, elem: runs[k].e0 + i, value: v[i] };
          return;
        }
        values[(base + i) * width + ci] = v[i];
      }
    });
  });
  if (bad) {
    const { run, col, elem, value } = bad as { run: number; col: number; elem: number; value: number };
    throw new StreamDataError(
      src.fileName,
      columns[col],
      entryOf(runs[run], elem),
      `value ${value} at element ${elem} (expected ${SAFE_VALUES})`,
    );
  }
  return { values, offsets, entries: order, runs };
}

/** One set per entry with one target value each (NaN targets are kept; the task leaves them out). */
export class JaggedSetsReader implements EntryReader<JaggedSets & { entries: Uint32Array }> {
  private index: JaggedIndex;
  private coalescing: Coalescing;
  readonly file: string;
  readonly entries: number;

  constructor(
    private src: H5Source,
    private layout: JaggedSetsLayout,
    private target: string,
    options: JaggedReadOptions = {},
  ) {
    this.file = src.fileName;
    this.coalescing = coalescing(options);
    this.index = new JaggedIndex(src, layout);
    this.entries = this.index.entries;
    const t = src.info(target).shape[0];
    if (t !== this.entries)
      throw new StreamDataError(this.file, target, null, `${t} values for ${this.entries} sets (expected one per set)`);
  }

  /** The sets of `entries` (any order, duplicates read once) in ascending entry order, as `entries` lists them. */
  read(entries: Uint32Array) {
    const rows = readRows(this.src, this.index, this.layout.features, entries, this.coalescing);
    const targets = new Float64Array(rows.entries.length);
    let k = 0;
    readRanges(this.src, this.target, rows.runs, this.coalescing, (j, t) => {
      const start = rows.runs[j].start;
      for (let i = 0; i < t.length; i++) {
        if (t[i] === Infinity || t[i] === -Infinity)
          throw new StreamDataError(this.file, this.target, start + i, `target ${t[i]} (expected a finite value, or NaN for none)`);
        targets[k++] = t[i];
      }
    });
    return { values: rows.values, offsets: rows.offsets, width: this.layout.features.length, targets, entries: rows.entries };
  }
}

/** One event of hits per entry: features (x, y, z first) and an integer object id per hit. */
export class JaggedHitsReader implements EntryReader<JaggedHits & { kind: 'hits'; entries: Uint32Array }> {
  private index: JaggedIndex;
  private features: string[];
  private coalescing: Coalescing;
  readonly file: string;
  readonly entries: number;

  constructor(
    private src: H5Source,
    private layout: JaggedSetsLayout,
    private idColumn: string,
    options: JaggedReadOptions = {},
  ) {
    this.file = src.fileName;
    this.coalescing = coalescing(options);
    this.index = new JaggedIndex(src, layout);
    this.entries = this.index.entries;
    this.features = hitFeatures(layout, idColumn);
  }

  read(entries: Uint32Array) {
    const rows = readRows(this.src, this.index, this.features, entries, this.coalescing);
    const objectId = new Int32Array(rows.values.length / this.features.length);
    let at = 0;
    const hitRanges = rows.runs.map((r) => ({ start: r.e0, end: r.e1 }));
    readRanges(this.src, this.idColumn, hitRanges, this.coalescing, (j, ids) => {
      const r = rows.runs[j];
      for (let i = 0; i < ids.length; i++) {
        if (!Number.isInteger(ids[i]) || Math.abs(ids[i]) > 2 ** 31 - 1)
          throw new StreamDataError(
            this.file,
            this.idColumn,
            entryOf(r, r.e0 + i),
            `id ${ids[i]} at hit ${r.e0 + i} (expected integer object ids, ≤ 0 = noise)`,
          );
        objectId[at++] = ids[i];
      }
    });
    const width = this.features.length;
    return {
      kind: 'hits' as const,
      features: rows.values,
      width,
      objectId,
      eventOffsets: rows.offsets,
      positionDims: Math.min(width, hitPositionDims(this.layout, this.idColumn)),
      entries: rows.entries,
    };
  }
}
