import type { Uniform } from '../../gpu/context';
import { SHADERS } from '../../gpu/shaders';
import { maskedSoftmaxRef, type MaskedSoftmaxAttrs } from '../reference/softmax';
import { registerOp } from '../registry';
import type { Tensor } from '../tensor';

export { LOG_ZERO, type MaskedSoftmaxAttrs } from '../reference/softmax';

/** One workgroup per row; rows beyond 65535 fold into y. */
function rowGrid(R: number): [number, number] {
  if (R <= 65535) return [R, 1];
  const y = Math.ceil(R / 65535);
  return [Math.ceil(R / y), y];
}

function params(x: Tensor, mask: Tensor, at: MaskedSoftmaxAttrs): { R: number; u: Uniform[] } {
  const C = x.shape[x.rank - 1];
  const R = x.size / C;
  // 0/1 masks have the same bits as u32 or i32, so either integer type is accepted.
  if (mask.dtype === 'f32') throw new Error('maskedSoftmax: the mask must be an integer tensor (u32 or i32)');
  let N = 0;
  if (at.mode === 'assignment') {
    N = mask.shape[mask.rank - 1];
    const k = at.k ?? 1;
    if (k < 1 || k > 4 || N ** k !== C || mask.size !== R * N) {
      throw new Error(`maskedSoftmax: assignment rows of ${C} entries do not match jet mask [${mask.shape}] with k = ${k}`);
    }
  } else {
    const rpm = at.rowsPerMask ?? 1;
    if (R % rpm !== 0 || mask.size !== (R / rpm) * C) {
      throw new Error(`maskedSoftmax: mask [${mask.shape}] does not fit x [${x.shape}] with ${rpm} rows per mask row`);
    }
  }
  return {
    R,
    u: [
      ['u32', R],
      ['u32', C],
      ['u32', at.rowsPerMask ?? 1],
      ['u32', at.log ? 1 : 0],
      ['u32', at.mode === 'assignment' ? 1 : 0],
      ['u32', N],
      ['u32', at.k ?? 1],
      ['u32', 0],
    ],
  };
}

/**
 * inputs: x [..., C] f32, mask u32. Softmax (or log-softmax) of each row over its valid
 * entries; see masked_softmax.wgsl for the two mask modes.
 */
export const maskedSoftmaxOp = registerOp<MaskedSoftmaxAttrs>({
  name: 'maskedSoftmax',
  differentiable: [true, false],
  forward(e, [x, mask], at) {
    const { R, u } = params(x, mask, at);
    const y = e.empty(x.shape);
    e.gpu.dispatch(SHADERS.maskedSoftmax, 'softmax_forward', [x.buffer, mask.buffer, y.buffer], rowGrid(R), u);
    return { output: y };
  },
  backward(e, node, dy) {
    const [x, mask] = node.inputs;
    const { R, u } = params(x, mask, node.attrs);
    const dx = e.empty(x.shape);
    e.gpu.dispatch(SHADERS.maskedSoftmax, 'softmax_backward', [node.output.buffer, mask.buffer, dy.buffer, dx.buffer], rowGrid(R), u);
    return [dx, null];
  },
  reference: ([x, mask], at) => maskedSoftmaxRef(x, mask, at),
});

type T = Tensor<'f32'>;

/** Softmax over the last axis where mask [R / rowsPerMask, C] is non-zero. */
export const maskedSoftmax = (x: T, mask: Tensor<'u32' | 'i32'>, opts: { log?: boolean; rowsPerMask?: number } = {}): T =>
  x.engine.apply(maskedSoftmaxOp, [x, mask], { log: !!opts.log, mode: 'mask', rowsPerMask: opts.rowsPerMask ?? 1 }) as T;

/**
 * Log-probabilities over a particle's flattened jet-assignment space: logits [B, N^k],
 * jetMask [B, N]; tuples with padded or repeated jets get LOG_ZERO.
 */
export const assignmentLogSoftmax = (logits: T, jetMask: Tensor<'u32' | 'i32'>, k: number): T =>
  logits.engine.apply(maskedSoftmaxOp, [logits, jetMask], { log: true, mode: 'assignment', k }) as T;
