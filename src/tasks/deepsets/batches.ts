/**
 * Turns labelled sets into GPU-resident training blocks: features standardised with the
 * training statistics, sets packed into fixed-capacity blocks (src/data/packing.ts), and per
 * block the targets and the mask that removes padding set slots from the loss.
 */
import { packSets, type Packing } from '../../data/packing';
import type { RaggedF32 } from '../../data/ragged';
import type { Engine } from '../../tensor/engine';
import type { Tensor } from '../../tensor/tensor';
import type { LabelledSets } from './data';

/** Per-feature standardisation x' = (x - mean) / std, from the training elements. */
export interface FeatureScaling {
  mean: Float32Array;
  std: Float32Array;
}

/** Regression targets are learned as (y - mean) / std; classification uses mean 0, std 1. */
export interface TargetScaling {
  mean: number;
  std: number;
}

export function featureScaling(sets: RaggedF32): FeatureScaling {
  const { width, values } = sets;
  const rows = values.length / width;
  const mean = new Float64Array(width);
  const sq = new Float64Array(width);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < width; c++) mean[c] += values[r * width + c];
  }
  for (let c = 0; c < width; c++) mean[c] /= Math.max(rows, 1);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < width; c++) sq[c] += (values[r * width + c] - mean[c]) ** 2;
  }
  // A constant feature keeps std 1 rather than dividing by zero.
  const std = Float32Array.from(sq, (s) => Math.sqrt(s / Math.max(rows, 1)) || 1);
  return { mean: Float32Array.from(mean), std };
}

export function scaleFeatures(sets: RaggedF32, s: FeatureScaling): RaggedF32 {
  const { width } = sets;
  const values = Float32Array.from(sets.values, (v, i) => (v - s.mean[i % width]) / s.std[i % width]);
  return { values, offsets: sets.offsets, width };
}

export function targetScaling(data: LabelledSets): TargetScaling {
  if (data.numClasses) return { mean: 0, std: 1 };
  const t = data.targets;
  let m = 0;
  for (const v of t) m += v;
  m /= t.length;
  let s = 0;
  for (const v of t) s += (v - m) ** 2;
  return { mean: m, std: Math.sqrt(s / t.length) || 1 };
}

export interface GpuBlock {
  values: Tensor<'f32'>; // [capacity, width]
  offsets: Tensor<'i32'>; // [maxSets + 1]
  /** Regression: scaled targets [maxSets, 1], 0 in padding slots. */
  targets: Tensor<'f32'> | null;
  /** Regression: 1 for real set slots, 0 for padding [maxSets, 1]. */
  mask: Tensor<'f32'> | null;
  /** Classification: class ids [maxSets], -1 (ignored) in padding slots. */
  labels: Tensor<'i32'> | null;
  /** Original set index per slot, -1 for padding. */
  slots: Int32Array;
  numSets: number;
}

export interface UploadedSets {
  blocks: GpuBlock[];
  packing: Packing;
}

/** Packs (already scaled) sets and uploads every block once; the training loop only reads them. */
export function uploadSets(
  e: Engine,
  sets: RaggedF32,
  data: LabelledSets,
  scaling: TargetScaling,
  capacity: number,
  order?: number[],
): UploadedSets {
  const packing = packSets(sets, { capacity, order });
  const { maxSets, width } = packing;
  const blocks = packing.blocks.map((b): GpuBlock => {
    const block: GpuBlock = {
      values: e.fromArray(b.values, [capacity, width]).keep(),
      offsets: e.fromArray(b.offsets, [maxSets + 1], { dtype: 'i32' }).keep(),
      targets: null,
      mask: null,
      labels: null,
      slots: b.sets,
      numSets: b.numSets,
    };
    if (data.numClasses) {
      const labels = Int32Array.from(b.sets, (k) => (k < 0 ? -1 : data.targets[k]));
      block.labels = e.fromArray(labels, [maxSets], { dtype: 'i32' }).keep();
    } else {
      const t = Float32Array.from(b.sets, (k) => (k < 0 ? 0 : (data.targets[k] - scaling.mean) / scaling.std));
      block.targets = e.fromArray(t, [maxSets, 1]).keep();
      block.mask = e
        .fromArray(
          Float32Array.from(b.sets, (k) => (k < 0 ? 0 : 1)),
          [maxSets, 1],
        )
        .keep();
    }
    return block;
  });
  return { blocks, packing };
}

export function disposeBlocks(blocks: GpuBlock[]): void {
  for (const b of blocks) for (const t of [b.values, b.offsets, b.targets, b.mask, b.labels]) t?.dispose();
}
