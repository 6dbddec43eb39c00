import { decodeCompound, toFloat64 } from './h5/decode';
import type { H5Source } from './h5/source';
import { isNumeric, type DatasetInfo } from './h5/types';

export interface Histogram {
  column: string;
  /** bin edges, length bins+1 */
  edges: number[];
  counts: number[];
  /** values looked at (the first `sampled` rows) */
  sampled: number;
  nonFinite: number;
}

export interface Preview {
  path: string;
  info: DatasetInfo;
  /** column headers; for N-D numeric datasets the first axis is rows, the rest flattened into columns */
  columns: string[];
  rows: (number | string)[][];
  totalRows: number;
  histograms: Histogram[];
}

/** Bins finite values into `bins` equal-width bins. */
export function histogram(column: string, values: ArrayLike<number>, bins = 40): Histogram {
  let lo = Infinity;
  let hi = -Infinity;
  let nonFinite = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) {
      nonFinite++;
      continue;
    }
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === Infinity) return { column, edges: [], counts: [], sampled: values.length, nonFinite };
  if (hi === lo) {
    lo -= 0.5;
    hi += 0.5;
  }
  const counts = new Array<number>(bins).fill(0);
  const w = (hi - lo) / bins;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    counts[Math.min(bins - 1, Math.floor((v - lo) / w))]!++;
  }
  return { column, edges: Array.from({ length: bins + 1 }, (_, i) => lo + i * w), counts, sampled: values.length, nonFinite };
}

const MAX_COLS = 32;

/** First `nRows` rows as a table plus histograms of numeric columns (over up to `histRows` rows). */
export function previewDataset(src: H5Source, path: string, nRows = 20, histRows = 100_000): Preview {
  const info = src.info(path);
  const total = info.shape.length ? info.shape[0]! : 1;
  const n = Math.min(nRows, total);
  const hn = Math.min(histRows, total);
  const out: Preview = { path: info.path, info, columns: [], rows: [], totalRows: total, histograms: [] };
  const t = info.dtype;
  if (t.kind === 'compound') {
    const sample = decodeCompound(src.readRows(info.path, 0, hn), t);
    const cols = Object.keys(sample).slice(0, MAX_COLS);
    out.columns = cols;
    for (let i = 0; i < n; i++)
      out.rows.push(
        cols.map((c) => {
          const col = sample[c]!;
          if (Array.isArray(col)) return col[i]!;
          const k = col.length / hn;
          return k === 1
            ? (col as Float64Array)[i]!
            : `[${Array.from((col as Float64Array).subarray(i * k, i * k + Math.min(k, 8))).join(', ')}${k > 8 ? ', …' : ''}]`;
        }),
      );
    for (const c of cols.slice(0, 8)) {
      const col = sample[c]!;
      if (!Array.isArray(col) && col.length === hn) out.histograms.push(histogram(c, col));
    }
    return out;
  }
  if (isNumeric(t)) {
    const inner = info.shape.slice(1).reduce((a, b) => a * b, 1);
    const data = toFloat64(info.shape.length ? src.readNumeric(info.path, 0, hn) : src.readNumeric(info.path));
    const w = Math.min(inner, MAX_COLS);
    out.columns = inner === 1 ? [info.name] : Array.from({ length: w }, (_, j) => `${info.name}[${j}]`);
    for (let i = 0; i < n; i++) out.rows.push(Array.from({ length: w }, (_, j) => data[i * inner + j]!));
    out.histograms.push(histogram(info.name, data));
    return out;
  }
  if (t.kind === 'string') {
    const s = src.readStrings(info.path, 0, n);
    out.columns = [info.name];
    out.rows = s.map((x) => [x]);
    return out;
  }
  out.columns = [info.name];
  out.rows = [[`(${info.dtypeText}: no preview)`]];
  return out;
}
