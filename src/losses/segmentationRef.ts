import type { RefTensor } from '../tensor/registry';

export interface SegXentAttrs {
  /** Planes per event: image n of the batch is plane n % planes of event ⌊n / planes⌋. */
  planes: number;
  /** Multiply each pixel's weight by (1 - softmax_y)² (held constant in the gradient). */
  focal: boolean;
}

/** Softmax probabilities and cross-entropy of one pixel of NCHW logits. */
function pixel(logits: Float64Array, base: number, C: number, HW: number, y: number): { probs: number[]; ce: number } {
  let m = -Infinity;
  for (let c = 0; c < C; c++) m = Math.max(m, logits[base + c * HW]);
  let s = 0;
  for (let c = 0; c < C; c++) s += Math.exp(logits[base + c * HW] - m);
  const probs = Array.from({ length: C }, (_, c) => Math.exp(logits[base + c * HW] - m) / s);
  return { probs, ce: m + Math.log(s) - logits[base + y * HW] };
}

function pixelWeight(weights: RefTensor, plane: number, C: number, y: number, py: number, focal: boolean): number {
  const w = weights.data[plane * C + y];
  return focal ? w * (1 - py) ** 2 : w;
}

/** Σ_p Σ w·CE / Σ w over the pixels of plane p, in f64 (see shaders/seg_xent.wgsl). */
export function segmentationCrossEntropyRef(logits: RefTensor, labels: RefTensor, weights: RefTensor, at: SegXentAttrs): RefTensor {
  const [N, C, H, W] = logits.shape;
  const HW = H * W;
  const num = new Float64Array(at.planes);
  const den = new Float64Array(at.planes);
  for (let n = 0; n < N; n++) {
    const plane = n % at.planes;
    for (let q = 0; q < HW; q++) {
      const y = labels.data[n * HW + q];
      if (y < 0 || y >= C) continue;
      const { probs, ce } = pixel(logits.data, n * C * HW + q, C, HW, y);
      const w = pixelWeight(weights, plane, C, y, probs[y], at.focal);
      num[plane] += w * ce;
      den[plane] += w;
    }
  }
  let total = 0;
  for (let p = 0; p < at.planes; p++) if (den[p] > 0) total += num[p] / den[p];
  return { data: new Float64Array([total]), shape: [] };
}

/**
 * Gradient of the loss w.r.t. the logits with every pixel weight held fixed (what the GPU
 * backward computes; for non-focal weights it is the exact gradient).
 */
export function segmentationCrossEntropyGradRef(logits: RefTensor, labels: RefTensor, weights: RefTensor, at: SegXentAttrs): Float64Array {
  const [N, C, H, W] = logits.shape;
  const HW = H * W;
  const den = new Float64Array(at.planes);
  const pix: { n: number; q: number; y: number; w: number; probs: number[] }[] = [];
  for (let n = 0; n < N; n++) {
    for (let q = 0; q < HW; q++) {
      const y = labels.data[n * HW + q];
      if (y < 0 || y >= C) continue;
      const { probs } = pixel(logits.data, n * C * HW + q, C, HW, y);
      const w = pixelWeight(weights, n % at.planes, C, y, probs[y], at.focal);
      den[n % at.planes] += w;
      pix.push({ n, q, y, w, probs });
    }
  }
  const grad = new Float64Array(logits.data.length);
  for (const { n, q, y, w, probs } of pix) {
    const total = den[n % at.planes];
    if (!(total > 0)) continue;
    for (let c = 0; c < C; c++) grad[(n * C + c) * HW + q] = (w * (probs[c] - (c === y ? 1 : 0))) / total;
  }
  return grad;
}
