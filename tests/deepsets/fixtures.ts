// Shared helpers of the Deep Sets tests: small random set collections and an f64 reference
// of the whole Deep Set forward pass built from the ops' own references.
import { offsetsFromCounts } from '../../src/data/ragged';
import type { DeepSetConfig } from '../../src/nn/deepset';
import type { RefTensor } from '../../src/tensor/registry';
import { matmulRef } from '../../src/tensor/reference/matmul';
import { segmentReduceRef } from '../../src/tensor/reference/segment';
import type { SetsTaskData } from '../../src/tasks/deepsets/data';
import { rng } from '../helpers/random';

/** `count` sets of 0..maxSize elements (some empty when minSize is 0), width features. */
export function randomSets(count: number, maxSize: number, width: number, seed: number, minSize = 0) {
  const r = rng(seed);
  const sizes = Array.from({ length: count }, () => minSize + Math.floor(r() * (maxSize - minSize + 1)));
  const offsets = offsetsFromCounts(sizes);
  const values = Float32Array.from({ length: offsets[count] * width }, () => 2 * r() - 1);
  return { values, offsets, width };
}

/**
 * File-style data whose regression target a sum-pooling Deep Set can learn: the sum over the
 * set of x0 + x1², scaled down so the targets are O(1).
 */
export function learnableSetsData(count: number, maxSize: number, seed: number, classes = 0, minSize = 1): SetsTaskData {
  const sets = randomSets(count, maxSize, 2, seed, minSize);
  const y = Float32Array.from({ length: count }, (_, k) => {
    let s = 0;
    for (let r = sets.offsets[k]; r < sets.offsets[k + 1]; r++) s += sets.values[2 * r] + sets.values[2 * r + 1] ** 2;
    return s / 2;
  });
  if (!classes) return { kind: 'sets', ...sets, targets: y };
  return { kind: 'sets', ...sets, targets: Int32Array.from(y, (v) => (v > 0.5 ? 1 : 0)), numClasses: 2 };
}

type Weights = Record<string, { shape: number[]; data: Float32Array }>;
const rt = (w: { shape: number[]; data: Float32Array }) => ({ data: Float64Array.from(w.data), shape: w.shape });

/** The Deep Set in f64 (Linear weights [out, in] as torch): phi per row, segment pool over offsets, pool scale, rho. */
export function deepSetRef(c: DeepSetConfig, w: Weights, values: Float32Array, offsets: ArrayLike<number>, rows: number) {
  let h: RefTensor = { data: Float64Array.from(values.subarray(0, rows * c.inputWidth)), shape: [rows, c.inputWidth] };
  for (let i = 0; i < c.phi.depth; i++)
    h = matmulRef(h, rt(w[`phi.${i}.weight`]), rt(w[`phi.${i}.bias`]), { activation: c.activation, transB: true });
  const off = { data: Float64Array.from(offsets), shape: [offsets.length] };
  let y = segmentReduceRef(h, off, c.pool);
  y = { data: y.data.map((v) => v * (c.poolScale ?? 1)), shape: y.shape };
  for (let i = 0; i <= c.rho.depth; i++) {
    y = matmulRef(y, rt(w[`rho.${i}.weight`]), rt(w[`rho.${i}.bias`]), {
      activation: i < c.rho.depth ? c.activation : 'none',
      transB: true,
    });
  }
  return y;
}
