/**
 * The trained Deep Set as an ONNX graph.
 *
 * Inputs (one call scores any number of sets of any sizes, no padding needed):
 *   elements     float [num_elements, width]  raw element features (the graph standardises them)
 *   segment_ids  int64 [num_elements]         set index of each element, 0 ≤ id < num_sets
 *   num_sets     int64 [1]                    number of sets (sets with no element are allowed)
 * Outputs:
 *   regression:     prediction    float [num_sets]
 *   classification: logits        float [num_sets, classes]
 *                   probabilities float [num_sets, classes]
 * Pooling uses ScatterElements over segment_ids: reduction 'add' (opset 16+) for sum and
 * mean, 'max' (opset 18+) for max, so the file declares opset 17 for sum/mean and 18 for max.
 * A set with no elements pools to 0, as in the engine (src/tensor/ops/segment.ts).
 */
import type { RaggedF32 } from '../../data/ragged';
import { attr, OnnxGraphBuilder } from '../../export/onnx/graph';
import { addDense } from '../../export/onnx/layers';
import type { OnnxFeed } from '../../export/verifyOnnx';
import type { DeepSetConfig } from '../../nn/deepset';
import type { FeatureScaling, TargetScaling } from './batches';

type Weights = Record<string, { shape: number[]; data: Float32Array }>;

export interface DeepSetExport {
  config: DeepSetConfig;
  weights: Weights;
  features: FeatureScaling;
  target: TargetScaling;
  /** 0 for regression. */
  numClasses: number;
  metadata?: Record<string, string>;
}

/** Lowest finite f32: the start value of a max reduction. */
const F32_LOWEST = -3.4028234663852886e38;

export function deepSetOnnx(m: DeepSetExport): Uint8Array {
  const { config: c, weights: w } = m;
  const b = new OnnxGraphBuilder(
    'deep_set',
    `Deep Set, ${c.pool} pooling, phi ${c.phi.depth}×${c.phi.width}, rho ${c.rho.depth}×${c.rho.width}`,
  );
  const elements = b.input('elements', 'float', ['num_elements', c.inputWidth], 'raw element features');
  const ids = b.input('segment_ids', 'int64', ['num_elements'], 'set index of each element');
  const numSets = b.input('num_sets', 'int64', [1], 'number of sets');

  let h = b.node('Div', [b.node('Sub', [elements, b.floats('feature_mean', m.features.mean)]), b.floats('feature_std', m.features.std)]);
  for (let i = 0; i < c.phi.depth; i++) h = addDense(b, h, `phi.${i}`, w[`phi.${i}.weight`], w[`phi.${i}.bias`], c.activation);

  // Scatter indices: segment_ids broadcast over the latent columns.
  const ids2 = b.node('Unsqueeze', [ids, b.int64s('axis1', [1])]);
  const idsWide = b.node('Expand', [ids2, b.node('Shape', [h])]);
  const outShape = (cols: number) => b.node('Concat', [numSets, b.int64s('cols', [cols])], { axis: attr.int(0) });
  const filled = (shape: string, value: number) =>
    b.node('ConstantOfShape', [shape], { value: attr.tensor({ dtype: 'float', dims: [1], data: [value] }) });
  const scatter = (start: string, indices: string, updates: string, reduction: 'add' | 'max') =>
    b.node('ScatterElements', [start, indices, updates], { axis: attr.int(0), reduction: attr.string(reduction) });

  const latentShape = outShape(c.phi.width);
  // Elements per set [num_sets, 1]: divides the mean, and marks empty sets for max.
  const counts = () => {
    const ones = b.node('Expand', [b.floats('one', [1], [1, 1]), b.node('Shape', [ids2])]);
    return scatter(filled(outShape(1), 0), ids2, ones, 'add');
  };
  let pooled: string;
  if (c.pool === 'max') {
    const max = scatter(filled(latentShape, F32_LOWEST), idsWide, h, 'max');
    const zero = b.floats('zero', [0], []);
    pooled = b.node('Where', [b.node('Greater', [counts(), zero]), max, zero]);
  } else {
    pooled = scatter(filled(latentShape, 0), idsWide, h, 'add');
    if (c.pool === 'mean') pooled = b.node('Div', [pooled, b.node('Max', [counts(), b.floats('one', [1], [])])]);
  }

  if ((c.poolScale ?? 1) !== 1) pooled = b.node('Mul', [pooled, b.floats('pool_scale', [c.poolScale!], [])]);

  let y = pooled;
  for (let i = 0; i <= c.rho.depth; i++) {
    y = addDense(b, y, `rho.${i}`, w[`rho.${i}.weight`], w[`rho.${i}.bias`], i < c.rho.depth ? c.activation : 'none');
  }
  if (m.numClasses) {
    b.alias(y, 'logits');
    b.output('logits', 'float', ['num_sets', m.numClasses]);
    b.alias(b.node('Softmax', [y], { axis: attr.int(-1) }), 'probabilities');
    b.output('probabilities', 'float', ['num_sets', m.numClasses]);
  } else {
    const unscaled = b.node('Add', [
      b.node('Mul', [y, b.floats('target_std', [m.target.std], [])]),
      b.floats('target_mean', [m.target.mean], []),
    ]);
    b.alias(b.node('Reshape', [unscaled, b.int64s('flat', [-1])]), 'prediction');
    b.output('prediction', 'float', ['num_sets']);
  }
  return b.encode({ opset: c.pool === 'max' ? 18 : 17, metadata: m.metadata });
}

/** The ONNX inputs for a collection of sets. */
export function deepSetOnnxFeeds(sets: RaggedF32): Record<string, OnnxFeed> {
  const n = sets.offsets.length - 1;
  const rows = sets.offsets[n];
  const ids = new BigInt64Array(rows);
  for (let k = 0; k < n; k++) ids.fill(BigInt(k), sets.offsets[k], sets.offsets[k + 1]);
  return {
    elements: { data: sets.values.subarray(0, rows * sets.width), dims: [rows, sets.width] },
    segment_ids: { data: ids, dims: [rows] },
    num_sets: { data: new BigInt64Array([BigInt(n)]), dims: [1] },
  };
}
