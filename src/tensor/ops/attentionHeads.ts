/**
 * Layout moves around multi-head attention: token rows ⇄ [B, H, T, D] heads
 * (shaders/attention_heads.wgsl), and narrowRows (rows [start, start+length) of axis 0, a
 * buffer copy) to take the q/k/v blocks of a packed in-projection weight.
 */
import { grid1d } from '../../gpu/grid';
import { SHADERS } from '../../gpu/shaders';
import type { Engine } from '../engine';
import { mergeHeadsRef, narrowRef, splitHeadsRef, type HeadsAttrs, type NarrowAttrs } from '../reference/attention4d';
import { registerOp } from '../registry';
import type { Tensor } from '../tensor';

export type { HeadsAttrs, NarrowAttrs } from '../reference/attention4d';

/** Launches heads_permute from src into a new tensor of `outShape`. */
function permute(
  e: Engine,
  src: Tensor,
  outShape: number[],
  B: number,
  T: number,
  H: number,
  D: number,
  seqFirst: boolean,
  toHeads: boolean,
): Tensor<'f32'> {
  const out = e.empty(outShape);
  e.gpu.dispatch(SHADERS.attentionHeads, 'heads_permute', [src.buffer, out.buffer], grid1d(out.size), [
    ['u32', out.size],
    ['u32', B],
    ['u32', T],
    ['u32', H],
    ['u32', D],
    ['u32', seqFirst ? 1 : 0],
    ['u32', toHeads ? 1 : 0],
    ['u32', 0],
  ]);
  return out;
}

function tokenDims(x: Tensor, at: HeadsAttrs) {
  if (x.rank !== 3 || x.shape[2] % at.heads !== 0) {
    throw new Error(`splitHeads: tokens [${x.shape}] must be 3-D with a last axis divisible by ${at.heads} heads`);
  }
  const [n0, n1, E] = x.shape;
  const [B, T] = at.seqFirst ? [n1, n0] : [n0, n1];
  return { B, T, H: at.heads, D: E / at.heads };
}

/** tokens [B, T, H·D] (or [T, B, H·D] with seqFirst) → [B, H, T, D]. */
export const splitHeadsOp = registerOp<HeadsAttrs>({
  name: 'splitHeads',
  differentiable: [true],
  forward(e, [x], at) {
    const { B, T, H, D } = tokenDims(x, at);
    return { output: permute(e, x, [B, H, T, D], B, T, H, D, !!at.seqFirst, true) };
  },
  backward(e, node, dy) {
    const x = node.inputs[0];
    const { B, T, H, D } = tokenDims(x, node.attrs);
    return [permute(e, dy, [...x.shape], B, T, H, D, !!node.attrs.seqFirst, false)];
  },
  reference: ([x], at) => splitHeadsRef(x, at),
});

/** [B, H, T, D] → tokens [B, T, H·D] (or [T, B, H·D] with seqFirst). `heads` must equal H. */
export const mergeHeadsOp = registerOp<HeadsAttrs>({
  name: 'mergeHeads',
  differentiable: [true],
  forward(e, [y], at) {
    if (y.rank !== 4 || y.shape[1] !== at.heads) throw new Error(`mergeHeads: [${y.shape}] must be [B, ${at.heads}, T, D]`);
    const [B, H, T, D] = y.shape;
    return { output: permute(e, y, at.seqFirst ? [T, B, H * D] : [B, T, H * D], B, T, H, D, !!at.seqFirst, false) };
  },
  backward(e, node, dx) {
    const [B, H, T, D] = node.inputs[0].shape;
    return [permute(e, dx, [B, H, T, D], B, T, H, D, !!node.attrs.seqFirst, true)];
  },
  reference: ([y], at) => mergeHeadsRef(y, at),
});

/** Rows [start, start + length) of axis 0; the gradient is zero outside them. */
export const narrowRowsOp = registerOp<NarrowAttrs>({
  name: 'narrowRows',
  differentiable: [true],
  forward(e, [x], { start, length }) {
    const row = x.size / x.shape[0];
    if (!Number.isInteger(start) || !Number.isInteger(length) || start < 0 || length < 1 || start + length > x.shape[0]) {
      throw new Error(`narrowRows: rows [${start}, ${start + length}) are outside [${x.shape}]`);
    }
    const y = e.empty([length, ...x.shape.slice(1)], x.dtype);
    e.gpu.copy(x.buffer, start * row * 4, y.buffer, 0, y.size * 4);
    return { output: y };
  },
  backward(e, node, dy) {
    const x = node.inputs[0];
    const row = x.size / x.shape[0];
    const dx = e.zeros(x.shape);
    e.gpu.copy(dy.buffer, 0, dx.buffer, node.attrs.start * row * 4, dy.size * 4);
    return [dx];
  },
  reference: ([x], at) => narrowRef(x, at),
});

type F = Tensor<'f32'>;
export const splitHeads = (x: F, heads: number, seqFirst = false): F => x.engine.apply(splitHeadsOp, [x], { heads, seqFirst }) as F;
export const mergeHeads = (y: F, seqFirst = false): F => y.engine.apply(mergeHeadsOp, [y], { heads: y.shape[1], seqFirst }) as F;
export const narrowRows = (x: F, start: number, length: number): F => x.engine.apply(narrowRowsOp, [x], { start, length }) as F;
