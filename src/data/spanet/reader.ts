import { SAFE_VALUES, unsafeValue } from '../values';
import { DataFileError } from '../errors';
import type { H5Source } from '../h5/source';
import { isNumeric, joinPath, type DType } from '../h5/types';
import { toFloat32, toFloat64 } from '../h5/decode';
import type { RaggedF32 } from '../ragged';

/**
 * SPANet v2 HDF5 layout:
 *   INPUTS/<source>/MASK  [N, L] bool  + INPUTS/<source>/<feature> [N, L]   (sequential source, e.g. jets)
 *   INPUTS/<source>/<feature> [N]                                          (global source, e.g. MET)
 *   TARGETS/<particle>/<product> [N] int: index of the matched jet, -1 if none
 *   TARGETS/<particle>/MASK [N] bool, TARGETS/<particle>/WEIGHT [N] float (optional, as upstream:
 *     the particle is present / its loss weight; without MASK present = every product matched)
 *   REGRESSIONS/<EVENT|particle>[/<product>]/<name> [N] float (optional)
 *   CLASSIFICATIONS/<EVENT|particle>[/<product>]/<name> [N] int (optional)
 */
export interface SpanetSourceInfo {
  name: string;
  kind: 'sequential' | 'global';
  features: string[];
  /** L (max objects per event) for sequential sources, 1 for global */
  maxLength: number;
}
export interface SpanetLayout {
  nEvents: number;
  sources: SpanetSourceInfo[];
  targets: { particle: string; products: string[]; hasMask?: boolean; hasWeight?: boolean }[];
  regressions: string[];
  classifications: string[];
}

export interface SpanetSourceData extends SpanetSourceInfo {
  /** rows of `features.length` values: the unmasked objects of each event (global: one row per event) */
  data: RaggedF32;
  /** for each row, its position in the padded [N, L] arrays (what TARGETS index) */
  position: Int32Array;
}
export interface SpanetEvents {
  file: string;
  range: { start: number; end: number };
  sources: SpanetSourceData[];
  /** targets[particle][product] = jet index per event (-1 when absent) */
  targets: Record<string, Record<string, Int32Array>>;
  /** TARGETS/<particle>/MASK where the file has it (1 = present) */
  targetMasks?: Record<string, Uint8Array>;
  /** TARGETS/<particle>/WEIGHT where the file has it */
  targetWeights?: Record<string, Float32Array>;
  /** "EVENT/neutrino_px" → values per event */
  regressions: Record<string, Float32Array>;
  classifications: Record<string, Float64Array>;
}

function datasetsUnder(src: H5Source, path: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const k of src.keys(path)) {
    const p = joinPath(path, k);
    const rel = prefix ? `${prefix}/${k}` : k;
    if (src.isDataset(p)) out.push(rel);
    else if (src.isGroup(p)) out.push(...datasetsUnder(src, p, rel));
  }
  return out;
}

export function looksLikeSpanet(src: H5Source): boolean {
  return src.isGroup('/INPUTS') && src.isGroup('/TARGETS');
}

/** Reads and checks the structure (shapes, dtypes); no data beyond metadata. */
export function spanetLayout(src: H5Source): SpanetLayout {
  const f = src.fileName;
  for (const g of ['/INPUTS', '/TARGETS'])
    if (!src.isGroup(g))
      throw new DataFileError({
        code: 'missing-dataset',
        file: f,
        dataset: g,
        problem: 'group is missing',
        expected: 'SPANet INPUTS and TARGETS groups',
      });
  let nEvents = -1;
  const checkN = (path: string, n: number) => {
    if (nEvents < 0) nEvents = n;
    else if (n !== nEvents)
      throw new DataFileError({
        code: 'bad-shape',
        file: f,
        dataset: path,
        problem: `${n} events`,
        expected: `${nEvents} events like the other datasets`,
      });
  };
  const sources: SpanetSourceInfo[] = [];
  for (const name of src.keys('/INPUTS')) {
    const g = `/INPUTS/${name}`;
    if (!src.isGroup(g)) continue;
    const names = src.keys(g).filter((k) => src.isDataset(`${g}/${k}`));
    const hasMask = names.includes('MASK');
    const features = names.filter((k) => k !== 'MASK');
    if (features.length === 0)
      throw new DataFileError({
        code: 'missing-dataset',
        file: f,
        dataset: g,
        problem: 'source has no feature datasets',
        expected: 'at least one feature',
      });
    let shape: number[];
    if (hasMask) {
      const m = src.info(`${g}/MASK`);
      if (m.shape.length !== 2)
        throw new DataFileError({
          code: 'bad-shape',
          file: f,
          dataset: m.path,
          problem: `shape [${m.shape}]`,
          expected: '[events, objects]',
        });
      if (!isNumeric(m.dtype))
        throw new DataFileError({ code: 'bad-dtype', file: f, dataset: m.path, problem: `dtype ${m.dtypeText}`, expected: 'bool' });
      shape = m.shape;
    } else {
      shape = src.info(`${g}/${features[0]}`).shape;
      if (shape.length !== 1)
        throw new DataFileError({
          code: 'missing-dataset',
          file: f,
          dataset: `${g}/MASK`,
          problem: `source has [${shape}] features but no MASK`,
          expected: 'MASK for a sequential source, or 1-D features for a global one',
        });
    }
    checkN(g, shape[0]!);
    for (const k of features) {
      const info = src.info(`${g}/${k}`);
      if (info.shape.length !== shape.length || info.shape.some((d, i) => d !== shape[i]))
        throw new DataFileError({
          code: 'bad-shape',
          file: f,
          dataset: info.path,
          problem: `shape [${info.shape}]`,
          expected: `[${shape}] like ${hasMask ? 'MASK' : 'the other features'}`,
        });
      if (!isNumeric(info.dtype))
        throw new DataFileError({
          code: 'bad-dtype',
          file: f,
          dataset: info.path,
          problem: `dtype ${info.dtypeText}`,
          expected: 'numbers',
        });
    }
    sources.push({ name, kind: hasMask ? 'sequential' : 'global', features, maxLength: hasMask ? shape[1]! : 1 });
  }
  if (sources.length === 0)
    throw new DataFileError({
      code: 'missing-dataset',
      file: f,
      dataset: '/INPUTS',
      problem: 'no input sources',
      expected: 'INPUTS/<source>/...',
    });
  /** A per-event column: 1-D, one value per event, of a dtype `dtypeOk` accepts. */
  const eventColumn = (path: string, dtypeOk: (d: DType) => boolean, expected: string) => {
    const info = src.info(path);
    if (info.shape.length !== 1)
      throw new DataFileError({ code: 'bad-shape', file: f, dataset: info.path, problem: `shape [${info.shape}]`, expected: '[events]' });
    if (!dtypeOk(info.dtype))
      throw new DataFileError({ code: 'bad-dtype', file: f, dataset: info.path, problem: `dtype ${info.dtypeText}`, expected });
    checkN(info.path, info.shape[0]!);
  };
  const targets: SpanetLayout['targets'] = [];
  for (const particle of src.keys('/TARGETS')) {
    const g = `/TARGETS/${particle}`;
    if (!src.isGroup(g)) continue;
    const datasets = src.keys(g).filter((k) => src.isDataset(`${g}/${k}`));
    const products = datasets.filter((k) => k !== 'MASK' && k !== 'WEIGHT');
    for (const special of ['MASK', 'WEIGHT'].filter((k) => datasets.includes(k))) {
      eventColumn(`${g}/${special}`, isNumeric, special === 'MASK' ? 'bool' : 'numbers');
    }
    for (const p of products) {
      eventColumn(`${g}/${p}`, (d) => d.kind === 'int', 'integer jet indices');
    }
    targets.push({
      particle,
      products,
      ...(datasets.includes('MASK') ? { hasMask: true } : {}),
      ...(datasets.includes('WEIGHT') ? { hasWeight: true } : {}),
    });
  }
  const flat = (root: string): string[] => {
    if (!src.isGroup(root)) return [];
    const list = datasetsUnder(src, root);
    for (const rel of list) {
      eventColumn(`${root}/${rel}`, isNumeric, 'numbers');
    }
    return list;
  };
  return { nEvents: Math.max(0, nEvents), sources, targets, regressions: flat('/REGRESSIONS'), classifications: flat('/CLASSIFICATIONS') };
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** The value checks of the whole-file reader and the streamed one (src/data/stream/spanetReader.ts). */
export const spanetValueOk = {
  /** TARGETS/<p>/<product>: -1 (unmatched) or a jet slot below the sequential input's length */
  jetIndex: (x: number, slots: number | undefined) => Number.isInteger(x) && x >= -1 && (slots === undefined || x < slots),
  /** TARGETS/<p>/WEIGHT */
  weight: (w: number) => Number.isFinite(w) && w >= 0,
  /** CLASSIFICATIONS: ids become int32 downstream, so a larger one would wrap (2^40 → 0) without a word; NaN = none */
  classId: (x: number) => Number.isNaN(x) || (Number.isInteger(x) && x >= INT32_MIN && x <= INT32_MAX),
};

/** Reads events [start, end): jets ragged from MASK, plus targets, regressions and classifications. */
export function readSpanetEvents(src: H5Source, range?: { start: number; end: number }, layout = spanetLayout(src)): SpanetEvents {
  const f = src.fileName;
  const r = range ?? { start: 0, end: layout.nEvents };
  if (!Number.isInteger(r.start) || !Number.isInteger(r.end) || r.start < 0 || r.end > layout.nEvents || r.start > r.end)
    throw new DataFileError({
      code: 'bad-request',
      file: f,
      problem: `events ${r.start}..${r.end} requested`,
      expected: `a range within 0..${layout.nEvents}`,
    });
  const n = r.end - r.start;
  const sources: SpanetSourceData[] = layout.sources.map((s) => {
    const g = `/INPUTS/${s.name}`;
    const L = s.maxLength;
    const mask = s.kind === 'sequential' ? src.readNumeric(`${g}/MASK`, r.start, n) : null;
    const offsets = new Uint32Array(n + 1);
    for (let e = 0; e < n; e++) {
      let c = 0;
      if (mask) for (let j = 0; j < L; j++) c += mask[e * L + j] ? 1 : 0;
      else c = 1;
      offsets[e + 1] = offsets[e]! + c;
    }
    const rows = offsets[n]!;
    const W = s.features.length;
    const values = new Float32Array(rows * W);
    const position = new Int32Array(rows);
    s.features.forEach((feat, fi) => {
      const col = toFloat32(src.readNumeric(`${g}/${feat}`, r.start, n));
      let o = 0;
      for (let e = 0; e < n; e++) {
        for (let j = 0; j < L; j++) {
          if (mask && !mask[e * L + j]) continue;
          const v = col[e * L + j]!;
          const bad = unsafeValue(v);
          if (bad)
            throw new DataFileError({
              code: bad,
              file: f,
              dataset: `${g}/${feat}`,
              problem: `event ${r.start + e}${mask ? `, object ${j}` : ''} is ${v}`,
              expected: `${SAFE_VALUES} where MASK is true`,
            });
          values[o * W + fi] = v;
          position[o] = j;
          o++;
        }
      }
    });
    return { ...s, data: { values, offsets, width: W }, position };
  });
  const seq = layout.sources.find((s) => s.kind === 'sequential');
  const targets: SpanetEvents['targets'] = {};
  let targetMasks: SpanetEvents['targetMasks'];
  let targetWeights: SpanetEvents['targetWeights'];
  for (const t of layout.targets) {
    targets[t.particle] = {};
    for (const p of t.products) {
      const path = `/TARGETS/${t.particle}/${p}`;
      const v = toFloat64(src.readNumeric(path, r.start, n));
      const out = new Int32Array(n);
      for (let e = 0; e < n; e++) {
        const x = v[e]!;
        if (!spanetValueOk.jetIndex(x, seq?.maxLength))
          throw new DataFileError({
            code: 'out-of-range',
            file: f,
            dataset: path,
            problem: `event ${r.start + e}: index ${x}`,
            expected: `-1 or 0..${(seq?.maxLength ?? 1) - 1}`,
          });
        out[e] = x;
      }
      targets[t.particle]![p] = out;
    }
    if (t.hasMask) {
      const m = src.readNumeric(`/TARGETS/${t.particle}/MASK`, r.start, n);
      (targetMasks ??= {})[t.particle] = Uint8Array.from({ length: n }, (_, e) => (m[e] ? 1 : 0));
    }
    if (t.hasWeight) {
      const path = `/TARGETS/${t.particle}/WEIGHT`;
      const w = toFloat32(src.readNumeric(path, r.start, n));
      for (let e = 0; e < n; e++) {
        if (!spanetValueOk.weight(w[e]!))
          throw new DataFileError({
            code: 'out-of-range',
            file: f,
            dataset: path,
            problem: `event ${r.start + e}: weight ${w[e]}`,
            expected: 'finite weights ≥ 0',
          });
      }
      (targetWeights ??= {})[t.particle] = w;
    }
  }
  const regressions: Record<string, Float32Array> = {};
  for (const k of layout.regressions) regressions[k] = toFloat32(src.readNumeric(`/REGRESSIONS/${k}`, r.start, n));
  const classifications: Record<string, Float64Array> = {};
  for (const k of layout.classifications) {
    const path = `/CLASSIFICATIONS/${k}`;
    const v = toFloat64(src.readNumeric(path, r.start, n));
    for (let e = 0; e < n; e++) {
      const x = v[e]!;
      if (!spanetValueOk.classId(x))
        throw new DataFileError({
          code: 'out-of-range',
          file: f,
          dataset: path,
          problem: `event ${r.start + e}: class ${x}`,
          expected: `integer class ids within int32 (${INT32_MIN}..${INT32_MAX}), NaN for none`,
        });
    }
    classifications[k] = v;
  }
  return {
    file: f,
    range: r,
    sources,
    targets,
    ...(targetMasks ? { targetMasks } : {}),
    ...(targetWeights ? { targetWeights } : {}),
    regressions,
    classifications,
  };
}
