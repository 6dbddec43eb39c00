import type { Uniform } from '../gpu/context';
import { grid1d } from '../gpu/grid';
import { SHADERS } from '../gpu/shaders';
import { launchReduce } from '../tensor/kernels';
import { registerOp } from '../tensor/registry';
import type { Tensor } from '../tensor/tensor';
import { segmentationCrossEntropyRef, type SegXentAttrs } from './segmentationRef';

export type { SegXentAttrs };

/** CosmicTagger's loss balance schemes. */
export const BALANCE_SCHEMES = ['none', 'light', 'even', 'focal'] as const;
export type BalanceScheme = (typeof BALANCE_SCHEMES)[number];

/** The "light" scheme's weights for background, cosmic, neutrino. */
export const LIGHT_WEIGHTS = [1, 1.5, 10];

/**
 * Per-plane class weights [P, C] of one batch (labels [B·P, HW], image n = plane n % P).
 *  none / focal: 1 (focal multiplies by (1 - p_y)² on the GPU);
 *  light: 1, 1.5, 10;
 *  even: 1 / (count_c + 1) per plane over the batch (inverse class frequency; the +1 keeps
 *        an absent class finite, and the constant factor cancels in Σ w·CE / Σ w).
 */
export function classWeightTable(
  scheme: BalanceScheme,
  labels: ArrayLike<number>,
  planes: number,
  classes: number,
  pixelsPerImage: number,
): Float32Array {
  const counts = new Float64Array(planes * classes);
  if (scheme === 'even') {
    const images = labels.length / pixelsPerImage;
    for (let n = 0; n < images; n++) {
      const p = n % planes;
      for (let q = 0; q < pixelsPerImage; q++) {
        const y = labels[n * pixelsPerImage + q];
        if (y >= 0 && y < classes) counts[p * classes + y]++;
      }
    }
  }
  return classWeightsFromCounts(scheme, counts, planes, classes);
}

/** classWeightTable from the batch's per-plane class pixel counts [P, C] (only "even" reads them). */
export function classWeightsFromCounts(scheme: BalanceScheme, counts: ArrayLike<number>, planes: number, classes: number): Float32Array {
  const table = new Float32Array(planes * classes).fill(1);
  if (scheme === 'light') {
    for (let p = 0; p < planes; p++) for (let c = 0; c < classes; c++) table[p * classes + c] = LIGHT_WEIGHTS[c] ?? 1;
  } else if (scheme === 'even') {
    for (let i = 0; i < table.length; i++) table[i] = 1 / (counts[i] + 1);
  }
  return table;
}

function params(logits: Tensor, at: SegXentAttrs): { u: Uniform[]; B: number; C: number; HW: number } {
  if (logits.rank !== 4) throw new Error(`segmentationCrossEntropy: logits must be [N, C, H, W], got [${logits.shape}]`);
  const [N, C, H, W] = logits.shape;
  if (N % at.planes !== 0) throw new Error(`segmentationCrossEntropy: ${N} images are not whole events of ${at.planes} planes`);
  const B = N / at.planes;
  const HW = H * W;
  return {
    u: [
      ['u32', B],
      ['u32', at.planes],
      ['u32', C],
      ['u32', HW],
      ['u32', at.focal ? 1 : 0],
      ['u32', 0],
      ['u32', 0],
      ['u32', 0],
    ],
    B,
    C,
    HW,
  };
}

/**
 * inputs: logits [B·P, C, H, W] f32, labels [B·P, H, W] i32 (negative = ignored), class
 * weights [P, C] f32. Output: Σ over planes of the weighted mean cross-entropy of the plane.
 */
export const segmentationCrossEntropyOp = registerOp<SegXentAttrs>({
  name: 'segmentationCrossEntropy',
  differentiable: [true, false, false],
  forward(e, [logits, labels, weights], at) {
    const { u, B, C, HW } = params(logits, at);
    if (labels.dtype !== 'i32' || labels.size !== B * at.planes * HW)
      throw new Error(`segmentationCrossEntropy: need ${B * at.planes * HW} i32 labels, got ${labels.dtype} [${labels.shape}]`);
    if (weights.size !== at.planes * C) throw new Error(`segmentationCrossEntropy: class weights must be [${at.planes}, ${C}]`);
    const rows = e.gpu.alloc(2 * at.planes * B * HW * 4, 'seg-xent-rows');
    e.gpu.dispatch(SHADERS.segXent, 'seg_xent_pixels', [logits.buffer, labels.buffer, weights.buffer, rows], grid1d(B * at.planes * HW), u);
    const sums = e.empty([at.planes, 2]);
    launchReduce(e.gpu, rows, sums.buffer, 2 * at.planes, B * HW, 1, 1);
    e.gpu.release(rows);
    const loss = e.empty([]);
    e.gpu.dispatch(SHADERS.segXent, 'seg_xent_total', [sums.buffer, loss.buffer], [1], u);
    return { output: loss, saved: [sums] };
  },
  backward(e, node, g) {
    const [logits, labels, weights] = node.inputs;
    const { u } = params(logits, node.attrs);
    const d = e.empty(logits.shape);
    e.gpu.dispatch(
      SHADERS.segXent,
      'seg_xent_backward',
      [logits.buffer, labels.buffer, weights.buffer, node.saved[0].buffer, g.buffer, d.buffer],
      grid1d(logits.size),
      u,
    );
    return [d, null, null];
  },
  reference: ([logits, labels, weights], at) => segmentationCrossEntropyRef(logits, labels, weights, at),
});

export function segmentationCrossEntropy(
  logits: Tensor<'f32'>,
  labels: Tensor<'i32'>,
  classWeights: Tensor<'f32'>,
  attrs: SegXentAttrs,
): Tensor<'f32'> {
  return logits.engine.apply(segmentationCrossEntropyOp, [logits, labels, classWeights], attrs) as Tensor<'f32'>;
}
