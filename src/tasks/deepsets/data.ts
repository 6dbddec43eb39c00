/**
 * Data for the Deep Sets task: the seed's toy problem, and the shape of file data the task
 * accepts (see SetsTaskData), split into training and test sets.
 */
import { selectSets } from '../../data/packing';
import { checkRagged, type RaggedF32 } from '../../data/ragged';
import { normalSampler, seededRandom } from '../../nn/init';
import type { TaskData } from '../types';

/**
 * What the task trains on when data comes from a file (the lead's loader builds it, e.g. from
 * jagged HDF5 sets or SPANet jets). One set per event:
 *  - values:  Float32Array [totalElements × width], element features, row-major;
 *  - offsets: Uint32Array [numSets + 1], CSR: set k is rows offsets[k] .. offsets[k+1]-1,
 *             offsets[0] = 0, non-decreasing (empty sets are allowed);
 *  - width:   features per element;
 *  - targets: Float32Array [numSets] → regression (MSE), or
 *             Int32Array [numSets] class ids 0..numClasses-1 → classification (cross-entropy);
 *  - numClasses: classes for Int32Array targets (default: max target + 1);
 *  - label:   optional text shown in describe().
 */
// A type alias, not an interface, so that it is assignable to the generic TaskData record.
export type SetsTaskData = {
  kind: 'sets';
  values: Float32Array;
  offsets: Uint32Array;
  width: number;
  targets: Float32Array | Int32Array;
  numClasses?: number;
  label?: string;
};

/** Sets with one target each: a float for regression, a class id for classification. */
export interface LabelledSets {
  sets: RaggedF32;
  targets: Float32Array | Int32Array;
  numClasses: number; // 0 for regression
}

/** The largest value (a loop: spreading millions of arguments overflows the stack). */
export function largest(values: ArrayLike<number>): number {
  let m = -Infinity;
  for (let i = 0; i < values.length; i++) if (values[i] > m) m = values[i];
  return m;
}

/** Checks `data` is a SetsTaskData and returns it typed, or throws saying what is wrong. */
export function parseSetsTaskData(data: TaskData): SetsTaskData {
  const d = data as Partial<SetsTaskData>;
  const fail = (why: string): never => {
    throw new Error(
      `Deep Sets data: ${why} (expected {kind:'sets', values: Float32Array, offsets: Uint32Array, width, targets: Float32Array | Int32Array, numClasses?})`,
    );
  };
  if (d.kind !== 'sets') fail(`kind is ${JSON.stringify(d.kind)}, not 'sets'`);
  if (!(d.values instanceof Float32Array)) fail('values must be a Float32Array');
  if (!(d.offsets instanceof Uint32Array)) fail('offsets must be a Uint32Array');
  if (!Number.isInteger(d.width) || d.width! < 1) fail('width must be a positive integer');
  const problem = checkRagged({ values: d.values!, offsets: d.offsets!, width: d.width! });
  if (problem) fail(problem);
  const numSets = d.offsets!.length - 1;
  if (!(d.targets instanceof Float32Array || d.targets instanceof Int32Array)) fail('targets must be a Float32Array or an Int32Array');
  if (d.targets!.length !== numSets) fail(`${d.targets!.length} targets for ${numSets} sets`);
  for (const v of d.values!) if (!Number.isFinite(v)) fail('values contain NaN or infinity');
  if (d.targets instanceof Float32Array) {
    for (const v of d.targets) if (!Number.isFinite(v)) fail('targets contain NaN or infinity');
  } else {
    const classes = d.numClasses ?? largest(d.targets!) + 1;
    for (const v of d.targets!) if (v < 0 || v >= classes) fail(`class id ${v} outside 0..${classes - 1}`);
    if (classes < 2) fail('classification needs at least 2 classes');
  }
  return d as SetsTaskData;
}

export function labelledFromTaskData(d: SetsTaskData): LabelledSets {
  const numClasses = d.targets instanceof Int32Array ? (d.numClasses ?? largest(d.targets) + 1) : 0;
  return { sets: { values: d.values, offsets: d.offsets, width: d.width }, targets: d.targets, numClasses };
}

/** The seed's target: log(1 + |Σ_i (x_i0² + 3·x_i1)|). */
export function toyTarget(rows: Float32Array): number {
  let s = 0;
  for (let r = 0; r + 1 < rows.length; r += 2) s += rows[r] ** 2 + 3 * rows[r + 1];
  return Math.log1p(Math.abs(s));
}

/**
 * The seed's toy sets: sizes from an exponential distribution, scaled so the largest is
 * maxSize, plus one (no empty sets); elements are 2-D standard normal.
 */
export function toySets(count: number, rand: () => number, maxSize = 400): { sets: RaggedF32; targets: Float32Array } {
  const normal = normalSampler(rand);
  const raw = Array.from({ length: count }, () => -Math.log(1 - rand()));
  const top = largest(raw);
  const offsets = new Uint32Array(count + 1);
  for (let k = 0; k < count; k++) offsets[k + 1] = offsets[k] + Math.floor((raw[k] * maxSize) / top + 1);
  const values = Float32Array.from({ length: offsets[count] * 2 }, normal);
  const targets = Float32Array.from({ length: count }, (_, k) => toyTarget(values.subarray(offsets[k] * 2, offsets[k + 1] * 2)));
  return { sets: { values, offsets, width: 2 }, targets };
}

export interface Split {
  train: LabelledSets;
  test: LabelledSets;
}

function take(all: LabelledSets, indices: number[]): LabelledSets {
  const t = all.targets;
  const targets = t instanceof Int32Array ? Int32Array.from(indices, (k) => t[k]) : Float32Array.from(indices, (k) => t[k]);
  return { sets: selectSets(all.sets, indices), targets, numClasses: all.numClasses };
}

/**
 * The built-in problem: training sets then test sets drawn from one seeded stream, as the
 * seed does. `classes` = 2 turns it into classification: is the target above the median of
 * the training targets?
 */
export function toySplit(trainSets: number, testSets: number, seed: number, classes: 0 | 2): Split {
  const rand = seededRandom(seed);
  const train = toySets(trainSets, rand);
  const test = toySets(testSets, rand);
  if (!classes) {
    return { train: { ...train, numClasses: 0 }, test: { ...test, numClasses: 0 } };
  }
  const sorted = Float32Array.from(train.targets).sort();
  const median = sorted[Math.floor(sorted.length / 2)];
  const label = (t: Float32Array) => Int32Array.from(t, (v) => (v > median ? 1 : 0));
  return {
    train: { sets: train.sets, targets: label(train.targets), numClasses: 2 },
    test: { sets: test.sets, targets: label(test.targets), numClasses: 2 },
  };
}

/** A seeded shuffle of file data: the first `testSets` go to test, the next `trainSets` to training. */
export function fileSplit(all: LabelledSets, trainSets: number, testSets: number, seed: number): Split {
  const n = all.targets.length;
  if (n < 2) throw new Error(`Deep Sets data: ${n} sets are too few to split into training and test`);
  const order = Array.from({ length: n }, (_, i) => i);
  const rand = seededRandom(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const nTest = Math.min(Math.max(1, testSets), n - 1);
  const nTrain = Math.min(Math.max(1, trainSets), n - nTest);
  return { test: take(all, order.slice(0, nTest)), train: take(all, order.slice(nTest, nTest + nTrain)) };
}
