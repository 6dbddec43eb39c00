import type { EventSpec, FeatureTransform } from './eventSpec';
import type { SpanetTables } from './tables';
import { randomizeEvents, splitRanges } from './split';

/**
 * Model-ready arrays for all events. Features are stored the way SPANet's ONNX model takes
 * them: log features already log(x + 1), normalisation left to the network (its μ, σ come
 * from the training split and are baked into the model and the export).
 */
export interface PreparedData {
  nEvents: number;
  /** jet slots per event */
  N: number;
  /** sequential (jet) feature count and global feature count (all global inputs concatenated) */
  D: number;
  G: number;
  jets: Float32Array; // [E, N, D]
  jetMask: Uint8Array; // [E, N]
  globals: Float32Array; // [E, G]
  /** per global input: [first column, columns] within `globals` */
  globalSlices: { name: string; start: number; count: number }[];
  jetNorm: { mean: Float32Array; std: Float32Array };
  globalNorm: { mean: Float32Array; std: Float32Array };
  /** [E, P, 3]: jet index per product (-1 missing), slots beyond a particle's k unused */
  truth: Int32Array;
  /** [E, P]: 1 when the particle is present (TARGETS/<p>/MASK, else every product matched to a distinct jet) */
  present: Uint8Array;
  /** [E, P]: TARGETS/<p>/WEIGHT, else 1 */
  weights: Float32Array;
  regressions: Float32Array; // [E, R] raw values (NaN = none)
  regNorm: { mean: Float32Array; std: Float32Array };
  classes: Int32Array; // [E, C] class or -1
  classCounts: number[];
  nJets: Int32Array; // [E]
  trainEvents: number; // events [0, trainEvents) train, [trainEvents, endEvent) validate / test
  /** events at and after this one are not used (upstream's dataset_limit) */
  endEvent: number;
}

const hasLog = (t: FeatureTransform) => t === 'log' || t === 'log_normalize';
const hasNorm = (t: FeatureTransform) => t === 'normalize' || t === 'log_normalize';

function applyLog(x: number): number {
  const v = Math.log1p(x);
  return Number.isFinite(v) ? v : 0;
}

/** μ, σ over valid entries of column c; identity (0, 1) where the transform does not normalise. */
function columnStats(values: Float32Array, width: number, rows: number, valid: (r: number) => boolean, transforms: FeatureTransform[]) {
  const mean = new Float32Array(width);
  const std = new Float32Array(width).fill(1);
  for (let c = 0; c < width; c++) {
    if (!hasNorm(transforms[c])) continue;
    let n = 0,
      s = 0,
      s2 = 0;
    for (let r = 0; r < rows; r++) {
      if (!valid(r)) continue;
      const v = values[r * width + c];
      n++;
      s += v;
      s2 += v * v;
    }
    if (n === 0) continue;
    const m = s / n;
    mean[c] = m;
    std[c] = Math.sqrt(Math.max(s2 / n - m * m, 0)) || 1;
  }
  return { mean, std };
}

/**
 * testFraction = 1 − upstream's train_validation_split, datasetLimit = its dataset_limit: as
 * upstream's create_datasets without a validation file, training is events
 * [0, round(limit · split · E)) and validation [that, round(limit · E)), in file order (with
 * randomization = dataset_randomization > 0, of upstream's seeded permutation: split.ts).
 */
export function prepareData(file: SpanetTables, spec: EventSpec, testFraction: number, datasetLimit = 1, randomization = 0): PreparedData {
  // upstream's dataset_randomization: the events in numpy's seeded order for the split (split.ts)
  const t = randomizeEvents(file, randomization, testFraction, datasetLimit);
  const E = t.nEvents;
  const seqSpec = spec.inputs.find((i) => i.kind === 'sequential')!;
  const seq = t.sources.find((s) => s.name === seqSpec.name);
  if (!seq || seq.kind !== 'sequential' || !seq.mask) throw new Error(`the data has no sequential input "${seqSpec.name}" with a MASK`);
  const N = seq.maxLength;
  const D = seqSpec.features.length;
  const jets = new Float32Array(E * N * D);
  const jetMask = Uint8Array.from(seq.mask);
  seqSpec.features.forEach((f, c) => {
    const col = seq.features[f.name];
    if (!col) throw new Error(`input ${seq.name} has no feature "${f.name}" (has ${Object.keys(seq.features).join(', ')})`);
    for (let i = 0; i < E * N; i++) jets[i * D + c] = jetMask[i] ? (hasLog(f.transform) ? applyLog(col[i]) : col[i]) : 0;
  });
  const globalSpecs = spec.inputs.filter((i) => i.kind === 'global');
  const G = globalSpecs.reduce((a, i) => a + i.features.length, 0);
  const globals = new Float32Array(E * G);
  const globalSlices: PreparedData['globalSlices'] = [];
  let col0 = 0;
  for (const gs of globalSpecs) {
    const src = t.sources.find((s) => s.name === gs.name);
    if (!src || src.kind !== 'global') throw new Error(`the data has no global input "${gs.name}"`);
    gs.features.forEach((f, j) => {
      const col = src.features[f.name];
      if (!col) throw new Error(`input ${gs.name} has no feature "${f.name}"`);
      for (let e = 0; e < E; e++) globals[e * G + col0 + j] = hasLog(f.transform) ? applyLog(col[e]) : col[e];
    });
    globalSlices.push({ name: gs.name, start: col0, count: gs.features.length });
    col0 += gs.features.length;
  }
  const { trainEvents, endEvent } = splitRanges(E, testFraction, datasetLimit);
  const jetNorm = columnStats(
    jets,
    D,
    trainEvents * N,
    (r) => jetMask[r] === 1,
    seqSpec.features.map((f) => f.transform),
  );
  const globalNorm = columnStats(
    globals,
    G,
    trainEvents,
    () => true,
    globalSpecs.flatMap((g) => g.features.map((f) => f.transform)),
  );

  const P = spec.particles.length;
  const truth = new Int32Array(E * P * 3).fill(-1);
  spec.particles.forEach((p, pi) => {
    const tp = t.targets[p.name];
    if (!tp) throw new Error(`the data has no TARGETS/${p.name}`);
    p.products.forEach((q, a) => {
      const col = tp[q];
      if (!col) throw new Error(`the data has no TARGETS/${p.name}/${q}`);
      for (let e = 0; e < E; e++) {
        const j = col[e];
        truth[(e * P + pi) * 3 + a] = j >= 0 && j < N && jetMask[e * N + j] ? j : -1;
      }
    });
  });
  const present = new Uint8Array(E * P);
  const weights = new Float32Array(E * P).fill(1);
  spec.particles.forEach((p, pi) => {
    const mask = t.targetMasks?.[p.name];
    const w = t.targetWeights?.[p.name];
    for (let e = 0; e < E; e++) {
      const jets = Array.from(truth.subarray((e * P + pi) * 3, (e * P + pi) * 3 + p.products.length));
      const complete = jets.every((j) => j >= 0) && new Set(jets).size === jets.length;
      present[e * P + pi] = mask ? mask[e] : complete ? 1 : 0;
      if (w) weights[e * P + pi] = w[e];
    }
  });
  const R = spec.regressions.length;
  const regressions = new Float32Array(E * R);
  spec.regressions.forEach((k, r) => {
    const col = t.regressions[k];
    if (!col) throw new Error(`the data has no REGRESSIONS/${k}`);
    for (let e = 0; e < E; e++) regressions[e * R + r] = col[e];
  });
  const regNorm = { mean: new Float32Array(R), std: new Float32Array(R).fill(1) };
  for (let r = 0; r < R; r++) {
    // NaN targets (allowed by SPANet) must not poison the statistics
    let n = 0,
      s = 0,
      s2 = 0;
    for (let e = 0; e < trainEvents; e++) {
      const v = regressions[e * R + r];
      if (Number.isFinite(v)) {
        n++;
        s += v;
        s2 += v * v;
      }
    }
    if (n) {
      const m = s / n;
      regNorm.mean[r] = m;
      regNorm.std[r] = Math.sqrt(Math.max(s2 / n - m * m, 0)) || 1;
    }
  }
  const C = spec.classifications.length;
  const classes = new Int32Array(E * C);
  const classCounts = spec.classifications.map((k, c) => {
    const col = t.classifications[k];
    if (!col) throw new Error(`the data has no CLASSIFICATIONS/${k}`);
    let max = 0;
    for (let e = 0; e < E; e++) {
      classes[e * C + c] = col[e];
      max = Math.max(max, col[e]);
    }
    return Math.max(2, max + 1);
  });
  const nJets = new Int32Array(E);
  for (let e = 0; e < E; e++) for (let j = 0; j < N; j++) nJets[e] += jetMask[e * N + j];
  return {
    nEvents: E,
    N,
    D,
    G,
    jets,
    jetMask,
    globals,
    globalSlices,
    jetNorm,
    globalNorm,
    truth,
    present,
    weights,
    regressions,
    regNorm,
    classes,
    classCounts,
    nJets,
    trainEvents,
    endEvent,
  };
}

/** Flat index of a product tuple in a particle's N^k space (first product most significant). */
export function flatIndex(jets: ArrayLike<number>, N: number): number {
  let idx = 0;
  for (let a = 0; a < jets.length; a++) idx = idx * N + jets[a];
  return idx;
}

/**
 * One batch's events (a streamed payload) as model-ready arrays, with the statistics of the
 * training split given rather than computed from the batch (src/tasks/spanet/streamStats.ts):
 * every event of `t` is one slot, events [0, nEvents).
 */
export function prepareWithStatistics(
  t: SpanetTables,
  spec: EventSpec,
  s: Pick<PreparedData, 'jetNorm' | 'globalNorm' | 'regNorm' | 'classCounts'>,
): PreparedData {
  const own = prepareData(t, spec, 0);
  return {
    ...own,
    jetNorm: s.jetNorm,
    globalNorm: s.globalNorm,
    regNorm: s.regNorm,
    classCounts: s.classCounts,
    trainEvents: t.nEvents,
    endEvent: t.nEvents,
  };
}
