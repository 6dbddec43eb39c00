/**
 * Scaled dot-product attention over general tensors: q [B, H, T, D], k [B, H, S, D],
 * v [B, H, S, Dv] → [B, H, T, Dv], with an optional key mask [B, S] and an optional
 * additive f32 mask. The four products (Q·Kᵀ, P·V; dP = dO·Vᵀ, dV = Pᵀ·dO, dQ = dS·K,
 * dK = dSᵀ·Q) run on the tiled batched matmul kernel with B·H as the batch; the masked
 * softmax and its backward are shaders/attention4d.wgsl. The probabilities P [B, H, T, S]
 * are kept for the backward. Rows of ≤ 32 keys take a row-per-thread softmax kernel
 * (attentionSoftmaxKernel).
 *
 * A query row whose keys are all masked gives probabilities 0 and output 0 (torch gives
 * NaN there), and zero gradients.
 */
import type { Uniform } from '../../gpu/context';
import { SHADERS } from '../../gpu/shaders';
import type { Engine } from '../engine';
import { launchMatmul } from '../kernels';
import { attention4dRef, attentionDims, attentionProbsRef, type Attention4dAttrs, type AttentionDims } from '../reference/attention4d';
import { registerOp } from '../registry';
import type { Tensor } from '../tensor';

export type { Attention4dAttrs } from '../reference/attention4d';

/** n workgroups in x, folded into y beyond 65535. */
function foldGrid(n: number): [number, number] {
  if (n <= 65535) return [n, 1];
  const y = Math.ceil(n / 65535);
  return [Math.ceil(n / y), y];
}

/**
 * The softmax stage's two kernels: 'workgroup' (attention4d.wgsl, one 64-thread workgroup
 * per row with tree reductions) and 'rows' (attn4d_softmax_rows.wgsl, one thread per row,
 * for rows of at most ROWS_SOFTMAX_MAX_KEYS keys). Short rows take 'rows': on SwiftShader it
 * is several times faster (no barriers; BENCHMARKS.md, SPANet v2); on a GPU it is untimed.
 */
export type AttentionSoftmaxKernel = 'workgroup' | 'rows';
export const ROWS_SOFTMAX_MAX_KEYS = 32;
const ROWS_PER_WORKGROUP = 64;
let pinned: AttentionSoftmaxKernel | null = null;

/** Pins the kernel (tests, the bench's before/after); null goes back to choosing by row length. */
export function pinAttentionSoftmax(kernel: AttentionSoftmaxKernel | null): void {
  pinned = kernel;
}

export function attentionSoftmaxKernel(S: number): AttentionSoftmaxKernel {
  const k = pinned ?? (S <= ROWS_SOFTMAX_MAX_KEYS ? 'rows' : 'workgroup');
  if (k === 'rows' && S > ROWS_SOFTMAX_MAX_KEYS)
    throw new Error(`attention4d: the row-per-thread softmax takes at most ${ROWS_SOFTMAX_MAX_KEYS} keys, not ${S}`);
  return k;
}

/** Kernel source, entry point and grid of the softmax (or its backward) over R rows of S keys. */
function softmaxLaunch(R: number, S: number, backward: boolean) {
  const suffix = backward ? '_backward' : '';
  return attentionSoftmaxKernel(S) === 'rows'
    ? { src: SHADERS.attn4dSoftmaxRows, entry: `attn4d_softmax${suffix}_rows`, grid: foldGrid(Math.ceil(R / ROWS_PER_WORKGROUP)) }
    : { src: SHADERS.attention4d, entry: `attn4d_softmax${suffix}`, grid: foldGrid(R) };
}

function softmaxUniforms(d: AttentionDims, keyMask: Tensor | null, at: Attention4dAttrs): Uniform[] {
  return [
    ['u32', d.B * d.H * d.T],
    ['u32', d.T],
    ['u32', d.S],
    ['u32', d.H],
    ['f32', d.scale],
    ['u32', keyMask ? 1 : 0],
    ['u32', keyMask?.dtype === 'f32' ? 1 : 0],
    ['u32', at.keyMaskPads ? 1 : 0],
    ['u32', at.addMask ? 1 : 0],
    ['u32', d.amStrideB],
    ['u32', d.amStrideH],
    ['u32', 0],
  ];
}

function masksOf(inputs: Tensor[], at: Attention4dAttrs): { keyMask: Tensor | null; addMask: Tensor | null } {
  let i = 0;
  const keyMask = at.keyMask ? inputs[i++] : null;
  const addMask = at.addMask ? inputs[i++] : null;
  if (addMask && addMask.dtype !== 'f32') throw new Error('attention4d: the additive mask must be f32');
  return { keyMask, addMask };
}

/** P = masked softmax(scale · q·kᵀ + addMask), into a new [B, H, T, S] tensor. */
function probabilities(e: Engine, q: Tensor, k: Tensor, masks: Tensor[], d: AttentionDims, at: Attention4dAttrs): Tensor<'f32'> {
  const { B, H, T, S, D } = d;
  const { keyMask, addMask } = masksOf(masks, at);
  const scores = e.empty([B, H, T, S]);
  launchMatmul(e.gpu, q, k, scores, {
    M: T,
    N: S,
    K: D,
    transA: false,
    transB: true,
    batch: B * H,
    strideA: T * D,
    strideB: S * D,
    act: 'none',
  });
  const P = e.empty([B, H, T, S]);
  const kf = softmaxLaunch(B * H * T, S, false);
  e.gpu.dispatch(
    kf.src,
    kf.entry,
    [scores.buffer, keyMask?.buffer ?? e.gpu.placeholder('read'), addMask?.buffer ?? e.gpu.placeholder('read'), P.buffer],
    kf.grid,
    softmaxUniforms(d, keyMask, at),
  );
  scores.dispose();
  return P;
}

/** From dP: dS = scale·P⊙(dP − ΣP dP), then dq = dS·k and dk = dSᵀ·q (as needed). */
function scoreGradients(
  e: Engine,
  q: Tensor,
  k: Tensor,
  P: Tensor,
  dP: Tensor,
  d: AttentionDims,
  at: Attention4dAttrs,
  needQ: boolean,
  needK: boolean,
): [Tensor<'f32'> | null, Tensor<'f32'> | null] {
  const { B, H, T, S, D } = d;
  if (!needQ && !needK) return [null, null];
  const dS = e.empty(P.shape);
  const kb = softmaxLaunch(B * H * T, S, true);
  e.gpu.dispatch(kb.src, kb.entry, [P.buffer, dP.buffer, dS.buffer], kb.grid, softmaxUniforms(d, null, at));
  let dq: Tensor<'f32'> | null = null;
  let dk: Tensor<'f32'> | null = null;
  if (needQ) {
    dq = e.empty(q.shape);
    launchMatmul(e.gpu, dS, k, dq, {
      M: T,
      N: D,
      K: S,
      transA: false,
      transB: false,
      batch: B * H,
      strideA: T * S,
      strideB: S * D,
      act: 'none',
    });
  }
  if (needK) {
    dk = e.empty(k.shape);
    launchMatmul(e.gpu, dS, q, dk, {
      M: S,
      N: D,
      K: T,
      transA: true,
      transB: false,
      batch: B * H,
      strideA: T * S,
      strideB: T * D,
      act: 'none',
    });
  }
  dS.dispose();
  return [dq, dk];
}

/** inputs: q, k, v, then the key mask if attrs.keyMask, then the additive mask if attrs.addMask. */
export const attention4dOp = registerOp<Attention4dAttrs>({
  name: 'attention4d',
  differentiable: [true, true, true, false, false],
  forward(e, [q, k, v, ...masks], at) {
    const d = attentionDims(q, k, v, masks, at);
    const P = probabilities(e, q, k, masks, d, at);
    const out = e.empty([d.B, d.H, d.T, d.Dv]);
    launchMatmul(e.gpu, P, v, out, {
      M: d.T,
      N: d.Dv,
      K: d.S,
      transA: false,
      transB: false,
      batch: d.B * d.H,
      strideA: d.T * d.S,
      strideB: d.S * d.Dv,
      act: 'none',
    });
    return { output: out, saved: [P] };
  },
  backward(e, node, dOut, needs) {
    const [q, k, v, ...masks] = node.inputs;
    const at = node.attrs;
    const d = attentionDims(q, k, v, masks, at);
    const { B, H, T, S, Dv } = d;
    const P = node.saved[0];
    let dv: Tensor<'f32'> | null = null;
    if (needs[2]) {
      dv = e.empty(v.shape);
      launchMatmul(e.gpu, P, dOut, dv, {
        M: S,
        N: Dv,
        K: T,
        transA: true,
        transB: false,
        batch: B * H,
        strideA: T * S,
        strideB: T * Dv,
        act: 'none',
      });
    }
    let dq: Tensor<'f32'> | null = null;
    let dk: Tensor<'f32'> | null = null;
    if (needs[0] || needs[1]) {
      const dP = e.empty(P.shape);
      launchMatmul(e.gpu, dOut, v, dP, {
        M: T,
        N: S,
        K: Dv,
        transA: false,
        transB: true,
        batch: B * H,
        strideA: T * Dv,
        strideB: S * Dv,
        act: 'none',
      });
      [dq, dk] = scoreGradients(e, q, k, P, dP, d, at, needs[0], needs[1]);
      dP.dispose();
    }
    return [dq, dk, dv, null, null];
  },
  reference: ([q, k, v, ...masks], at) => attention4dRef(q, k, v, masks, at),
});

/**
 * The attention probabilities alone, P [B, H, T, S] (for dropout on them, or to return
 * attention weights). inputs: q, k, then the masks as for attention4dOp.
 */
export const attentionProbsOp = registerOp<Attention4dAttrs>({
  name: 'attentionProbs',
  differentiable: [true, true, false, false],
  forward(e, [q, k, ...masks], at) {
    const d = attentionDims(q, k, null, masks, at);
    return { output: probabilities(e, q, k, masks, d, at) };
  },
  backward(e, node, dP, needs) {
    const [q, k, ...masks] = node.inputs;
    const d = attentionDims(q, k, null, masks, node.attrs);
    const [dq, dk] = scoreGradients(e, q, k, node.output, dP, d, node.attrs, needs[0], needs[1]);
    return [dq, dk, null, null];
  },
  reference: ([q, k, ...masks], at) => attentionProbsRef(q, k, masks, at),
});

export interface AttentionOptions {
  /** [B, S]: non-zero = attend (or = padded, ignore, with keyMaskPads). u32, i32 or f32. */
  keyMask?: Tensor;
  /** Read keyMask as torch's key_padding_mask: non-zero marks a padded key. */
  keyMaskPads?: boolean;
  /** Additive f32 mask [T, S], [B·H, T, S] or [B|1, H|1, T, S]; entries ≤ -1e30 (-inf) mask the key. */
  addMask?: Tensor<'f32'>;
  /** Default 1/sqrt(D). */
  scale?: number;
}

function opInputs(base: Tensor[], o: AttentionOptions): { inputs: Tensor[]; attrs: Attention4dAttrs } {
  const inputs = [...base];
  if (o.keyMask) inputs.push(o.keyMask);
  if (o.addMask) inputs.push(o.addMask);
  return { inputs, attrs: { scale: o.scale, keyMask: !!o.keyMask, keyMaskPads: !!o.keyMaskPads, addMask: !!o.addMask } };
}

/** softmax(scale · q·kᵀ + masks) · v over [B, H, T, D] tensors. */
export function attention4d(q: Tensor<'f32'>, k: Tensor<'f32'>, v: Tensor<'f32'>, opts: AttentionOptions = {}): Tensor<'f32'> {
  const { inputs, attrs } = opInputs([q, k, v], opts);
  return q.engine.apply(attention4dOp, inputs, attrs) as Tensor<'f32'>;
}

/** The attention probabilities [B, H, T, S] of attention4d. */
export function attentionProbs(q: Tensor<'f32'>, k: Tensor<'f32'>, opts: AttentionOptions = {}): Tensor<'f32'> {
  const { inputs, attrs } = opInputs([q, k], opts);
  return q.engine.apply(attentionProbsOp, inputs, attrs) as Tensor<'f32'>;
}
