/**
 * Entry readers for generic jagged HDF5 files (src/data/generic/sets.ts layouts): one set
 * (Deep Sets) or one event of hits (clustering) per entry. Only the element rows of the
 * batch's entries are read, column by column, run by run; an `offsets` index is read per run
 * too, a `counts` index is summed once at open (8 bytes per entry kept).
 */
import { toFloat64 } from '../h5/decode';
import type { H5Source } from '../h5/source';
import { hitFeatures, hitPositionDims, type JaggedHits, type JaggedSets, type JaggedSetsLayout } from '../generic/sets';
import { unsafeValue, SAFE_VALUES } from '../values';
import { StreamDataError, type EntryReader } from './types';
import { entryRuns } from './runs';

/** Reads slices of a 1-D numeric dataset in pieces (bounded memory for the counts scan). */
const SCAN_ROWS = 1 << 20;

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

  /** Element boundaries of entries start..end (end - start + 1 values). */
  bounds(start: number, end: number): Float64Array {
    if (this.prefix) return this.prefix.subarray(start, end + 1);
    const o = toFloat64(this.src.readNumeric(this.layout.offsets, start, end - start + 1));
    for (let i = 0; i < o.length; i++) {
      if (!(Number.isInteger(o[i]) && o[i] >= 0) || (i > 0 && o[i] < o[i - 1]))
        throw new StreamDataError(
          this.src.fileName,
          this.layout.offsets,
          start + Math.max(0, i - 1),
          `offset ${o[i]} (expected non-decreasing non-negative integers)`,
        );
    }
    return o;
  }
}

interface Rows {
  /** interleaved features [rows × width] */
  values: Float32Array;
  offsets: Uint32Array;
  /** the entry each set came from, in order */
  entries: Uint32Array;
  /** the element range read per run, for per-column extras (object ids) */
  runs: { start: number; end: number; e0: number; e1: number }[];
}

/** Reads the element columns of `entries` (ascending) interleaved, checking every value. */
function readRows(src: H5Source, index: JaggedIndex, columns: string[], entries: Uint32Array): Rows {
  const runs = entryRuns(entries).map((r) => {
    const b = index.bounds(r.start, r.end);
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
  let set = 0;
  let row = 0;
  for (const r of runs) {
    for (let e = r.start; e < r.end; e++) {
      order[set] = e;
      offsets[set + 1] = offsets[set] + (r.b[e - r.start + 1] - r.b[e - r.start]);
      set++;
    }
    const n = r.e1 - r.e0;
    columns.forEach((col, c) => {
      const v = toFloat64(src.readNumeric(col, r.e0, n));
      for (let i = 0; i < n; i++) {
        const bad = unsafeValue(v[i]);
        if (bad) {
          const elem = r.e0 + i;
          let e = r.start;
          while (e + 1 < r.end && r.b[e + 1 - r.start] <= elem) e++;
          throw new StreamDataError(src.fileName, col, e, `value ${v[i]} at element ${elem} (expected ${SAFE_VALUES})`);
        }
        values[(row + i) * width + c] = v[i];
      }
    });
    row += n;
  }
  return { values, offsets, entries: order, runs };
}

/** One set per entry with one target value each (NaN targets are kept; the task leaves them out). */
export class JaggedSetsReader implements EntryReader<JaggedSets & { entries: Uint32Array }> {
  private index: JaggedIndex;
  readonly file: string;
  readonly entries: number;

  constructor(
    private src: H5Source,
    private layout: JaggedSetsLayout,
    private target: string,
  ) {
    this.file = src.fileName;
    this.index = new JaggedIndex(src, layout);
    this.entries = this.index.entries;
    const t = src.info(target).shape[0];
    if (t !== this.entries)
      throw new StreamDataError(this.file, target, null, `${t} values for ${this.entries} sets (expected one per set)`);
  }

  read(entries: Uint32Array) {
    const rows = readRows(this.src, this.index, this.layout.features, entries);
    const targets = new Float64Array(rows.entries.length);
    let k = 0;
    for (const r of rows.runs) {
      const t = toFloat64(this.src.readNumeric(this.target, r.start, r.end - r.start));
      for (let i = 0; i < t.length; i++) {
        if (t[i] === Infinity || t[i] === -Infinity)
          throw new StreamDataError(this.file, this.target, r.start + i, `target ${t[i]} (expected a finite value, or NaN for none)`);
        targets[k++] = t[i];
      }
    }
    return { values: rows.values, offsets: rows.offsets, width: this.layout.features.length, targets, entries: rows.entries };
  }
}

/** One event of hits per entry: features (x, y, z first) and an integer object id per hit. */
export class JaggedHitsReader implements EntryReader<JaggedHits & { kind: 'hits'; entries: Uint32Array }> {
  private index: JaggedIndex;
  private features: string[];
  readonly file: string;
  readonly entries: number;

  constructor(
    private src: H5Source,
    private layout: JaggedSetsLayout,
    private idColumn: string,
  ) {
    this.file = src.fileName;
    this.index = new JaggedIndex(src, layout);
    this.entries = this.index.entries;
    this.features = hitFeatures(layout, idColumn);
  }

  read(entries: Uint32Array) {
    const rows = readRows(this.src, this.index, this.features, entries);
    const objectId = new Int32Array(rows.values.length / this.features.length);
    let at = 0;
    for (const r of rows.runs) {
      const ids = toFloat64(this.src.readNumeric(this.idColumn, r.e0, r.e1 - r.e0));
      for (let i = 0; i < ids.length; i++) {
        if (!Number.isInteger(ids[i]) || Math.abs(ids[i]) > 2 ** 31 - 1) {
          let e = r.start;
          while (e + 1 < r.end && this.index.bounds(e + 1, e + 1)[0] <= r.e0 + i) e++;
          throw new StreamDataError(
            this.file,
            this.idColumn,
            e,
            `id ${ids[i]} at hit ${r.e0 + i} (expected integer object ids, ≤ 0 = noise)`,
          );
        }
        objectId[at++] = ids[i];
      }
    }
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
