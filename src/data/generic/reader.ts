import { DataFileError } from '../errors';
import { decodeCompound, toFloat64 } from '../h5/decode';
import type { H5Source } from '../h5/source';
import { walkTree } from '../h5/tree';
import { isNumeric, type TreeNode } from '../h5/types';

/**
 * Generic HDF5: "tables" are compound datasets or groups of 1-D numeric
 * datasets of equal length; "jagged arrays" are a values dataset plus an
 * offsets/counts dataset in the same group (CSR), or a 2-D numeric dataset.
 */
export interface GenericTable {
  path: string;
  kind: 'compound' | 'columns' | 'matrix';
  rows: number;
  columns: string[];
}
export interface GenericJagged {
  values: string;
  offsets: string;
  /** "offsets" (n+1 boundaries) or "counts" (n lengths) */
  mode: 'offsets' | 'counts';
}
export interface GenericLayout {
  tables: GenericTable[];
  jagged: GenericJagged[];
  numericDatasets: number;
}

export function genericLayout(tree: TreeNode): GenericLayout {
  const tables: GenericTable[] = [];
  const jagged: GenericJagged[] = [];
  let numericDatasets = 0;
  for (const node of walkTree(tree)) {
    if (node.kind === 'dataset' && node.dataset) {
      const d = node.dataset;
      if (isNumeric(d.dtype)) numericDatasets++;
      if (d.dtype.kind === 'compound' && d.shape.length === 1) {
        numericDatasets++;
        tables.push({ path: d.path, kind: 'compound', rows: d.shape[0]!, columns: d.dtype.members.map((m) => m.name) });
      } else if (isNumeric(d.dtype) && d.shape.length === 2) {
        tables.push({
          path: d.path,
          kind: 'matrix',
          rows: d.shape[0]!,
          columns: Array.from({ length: Math.min(d.shape[1]!, 64) }, (_, i) => `${d.name}[${i}]`),
        });
      }
    }
    if (node.kind === 'group') {
      const ds = (node.children ?? []).filter(
        (c) => c.kind === 'dataset' && c.dataset && isNumeric(c.dataset.dtype) && c.dataset.shape.length === 1,
      );
      const byLen = new Map<number, string[]>();
      for (const c of ds) byLen.set(c.dataset!.shape[0]!, [...(byLen.get(c.dataset!.shape[0]!) ?? []), c.name]);
      for (const [len, cols] of byLen) if (cols.length >= 2) tables.push({ path: node.path, kind: 'columns', rows: len, columns: cols });
      for (const c of ds) {
        const m = /^(.*?)_?(offsets|counts|lengths)$/.exec(c.name);
        if (!m) continue;
        const values = ds.find((x) => x !== c && (m[1] ? x.name === m[1] || x.name === `${m[1]}_values` : x.name === 'values'));
        if (values) jagged.push({ values: values.path, offsets: c.path, mode: m[2] === 'offsets' ? 'offsets' : 'counts' });
      }
    }
  }
  return { tables, jagged, numericDatasets };
}

/** Reads rows [start, end) of a table as columns. */
export function readGenericTable(src: H5Source, table: GenericTable, start = 0, end = table.rows): Record<string, Float64Array | string[]> {
  const n = end - start;
  if (table.kind === 'compound') {
    const info = src.info(table.path);
    return decodeCompound(src.readRows(table.path, start, n), info.dtype);
  }
  if (table.kind === 'matrix') {
    const info = src.info(table.path);
    const w = info.shape[1]!;
    const all = toFloat64(src.readNumeric(table.path, start, n));
    const out: Record<string, Float64Array> = {};
    table.columns.forEach((c, j) => {
      const col = new Float64Array(n);
      for (let i = 0; i < n; i++) col[i] = all[i * w + j]!;
      out[c] = col;
    });
    return out;
  }
  const out: Record<string, Float64Array> = {};
  for (const c of table.columns) out[c] = toFloat64(src.readNumeric(`${table.path}/${c}`, start, n));
  return out;
}

/** Reads a CSR jagged array: values + offsets (n+1) — checked. */
export function readGenericJagged(src: H5Source, j: GenericJagged): { values: Float64Array; offsets: Uint32Array } {
  const values = toFloat64(src.readNumeric(j.values));
  const raw = toFloat64(src.readNumeric(j.offsets));
  for (let i = 0; i < raw.length; i++)
    if (!(Number.isInteger(raw[i]) && raw[i]! >= 0 && raw[i]! < 2 ** 32))
      throw new DataFileError({
        code: 'bad-dtype',
        file: src.fileName,
        dataset: j.offsets,
        problem: `${j.mode === 'counts' ? 'count' : 'offset'} ${raw[i]} at ${i}`,
        expected: `non-negative integer ${j.mode}`,
      });
  // Offsets starting above 0 would silently drop the elements before the first set.
  if (j.mode === 'offsets' && raw.length && raw[0] !== 0)
    throw new DataFileError({
      code: 'bad-shape',
      file: src.fileName,
      dataset: j.offsets,
      problem: `the first offset is ${raw[0]}, so values 0..${raw[0]! - 1} of ${j.values} belong to no set`,
      expected: 'offsets starting at 0 (n + 1 set boundaries)',
    });
  let offsets: Uint32Array;
  if (j.mode === 'counts') {
    offsets = new Uint32Array(raw.length + 1);
    for (let i = 0; i < raw.length; i++) offsets[i + 1] = offsets[i]! + raw[i]!;
  } else offsets = Uint32Array.from(raw);
  for (let i = 1; i < offsets.length; i++)
    if (offsets[i]! < offsets[i - 1]!)
      throw new DataFileError({
        code: 'bad-shape',
        file: src.fileName,
        dataset: j.offsets,
        problem: `offsets decrease at ${i}`,
        expected: 'non-decreasing offsets',
      });
  if (offsets.length && offsets[offsets.length - 1]! !== values.length)
    throw new DataFileError({
      code: 'out-of-range',
      file: src.fileName,
      dataset: j.offsets,
      problem: `last offset ${offsets[offsets.length - 1]} but ${values.length} values`,
      expected: `last offset == ${values.length}`,
    });
  return { values, offsets };
}
