import type { Uniform } from '../../gpu/context';
import { grid1d } from '../../gpu/grid';
import { SHADERS } from '../../gpu/shaders';
import { attentionRef, type AttentionAttrs } from '../reference/attention';
import { registerOp } from '../registry';
import type { Tensor } from '../tensor';

export { tokenRow, type AttentionAttrs } from '../reference/attention';

function dims(qkv: Tensor, mask: Tensor, at: AttentionAttrs) {
  const { B, N, heads } = at;
  const rows = B * N + B;
  const W = qkv.shape[qkv.rank - 1] / 3;
  if (qkv.size !== rows * 3 * W || !Number.isInteger(W)) throw new Error(`attention: qkv [${qkv.shape}] is not [${rows}, 3W]`);
  if (W % heads !== 0) throw new Error(`attention: width ${W} is not divisible by ${heads} heads`);
  if (mask.dtype === 'f32' || mask.size !== B * (N + 1)) throw new Error(`attention: mask must be integer (u32 or i32) [${B}, ${N + 1}]`);
  const dh = W / heads;
  const u: Uniform[] = [
    ['u32', B],
    ['u32', N],
    ['u32', heads],
    ['u32', dh],
    ['u32', W],
    ['f32', 1 / Math.sqrt(dh)],
    ['u32', 0],
    ['u32', 0],
  ];
  return { rows, W, T: N + 1, u };
}

/**
 * Masked multi-head self-attention within each event. inputs: qkv [B*N + B, 3W] (jet
 * tokens, then one event token per event), mask [B, N+1] u32. Output [B*N + B, W].
 * The attention probabilities [B, H, T, T] are kept for the backward pass.
 */
export const attentionOp = registerOp<AttentionAttrs>({
  name: 'maskedAttention',
  differentiable: [true, false],
  forward(e, [qkv, mask], at) {
    const { rows, W, T, u } = dims(qkv, mask, at);
    const probs = e.empty([at.B, at.heads, T, T]);
    e.gpu.dispatch(SHADERS.attention, 'attn_probs', [qkv.buffer, mask.buffer, probs.buffer], grid1d(at.B * at.heads * T, 64), u);
    const out = e.empty([rows, W]);
    e.gpu.dispatch(SHADERS.attention, 'attn_out', [qkv.buffer, probs.buffer, out.buffer], grid1d(rows * W, 64), u);
    return { output: out, saved: [probs] };
  },
  backward(e, node, dOut) {
    const [qkv, mask] = node.inputs;
    const at = node.attrs;
    const { rows, W, T, u } = dims(qkv, mask, at);
    const probs = node.saved[0];
    const dScores = e.empty(probs.shape);
    e.gpu.dispatch(
      SHADERS.attention,
      'attn_dscores',
      [qkv.buffer, probs.buffer, dOut.buffer, dScores.buffer],
      grid1d(at.B * at.heads * T, 64),
      u,
    );
    const dQkv = e.empty(qkv.shape);
    e.gpu.dispatch(
      SHADERS.attention,
      'attn_dqkv',
      [qkv.buffer, probs.buffer, dOut.buffer, dScores.buffer, dQkv.buffer],
      grid1d(rows * 3 * W, 64),
      u,
    );
    dScores.dispose();
    return [dQkv, null];
  },
  reference: ([qkv, mask], at) => attentionRef(qkv, mask, at),
});

export const maskedAttention = (qkv: Tensor<'f32'>, mask: Tensor<'u32' | 'i32'>, at: AttentionAttrs): Tensor<'f32'> =>
  qkv.engine.apply(attentionOp, [qkv, mask], at) as Tensor<'f32'>;
