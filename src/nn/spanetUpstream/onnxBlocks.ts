/**
 * The port's blocks as ONNX subgraphs, module for module: normalisations, the four linear
 * block types, the GRU gate, the three transformers and the stacked encoder. Vectors are
 * [T, B, D] as upstream's; a sequence mask is a float [T, B, 1] value, or null where it is all
 * ones (mask_sequence_vectors false, or the one-vector heads), which skips the multiply.
 */
import { attr } from '../../export/onnx';
import { LayerNorm } from '../layers/layerNorm';
import { BatchNorm1d } from '../layers/batchnorm';
import type { MultiheadAttention } from '../layers/attention';
import type { TransformerEncoderLayer } from '../layers/transformer';
import type { Tensor } from '../../tensor/tensor';
import type { SpanetOptions } from '../../tasks/spanet/options';
import { requireWord } from './config';
import { GatedTransformer, type GTrXL } from './gatedTransformer';
import { GRUBlock, type GRUGate, MASKINGS } from './gruBlock';
import { BasicBlock, GatedBlock, ResNetBlock } from './linearBlocks';
import type { LinearBlock, LinearStack } from './linearStack';
import type { Normalization } from './normalization';
import type { StackedEncoder } from './stackedEncoder';
import type { Transformer } from './transformers';
import type { SpanetOnnxEmitter } from './onnxOps';
import type { BranchLinear } from './branchLinear';

/** What every block needs: the emitter, the masking word and the batch size as an int64 [1]. */
export interface BlockContext {
  E: SpanetOnnxEmitter;
  masking: string;
  batch: string;
}

export const blockContext = (E: SpanetOnnxEmitter, options: SpanetOptions, batch: string): BlockContext => ({
  E,
  masking: requireWord(options, 'masking', MASKINGS),
  batch,
});

const masked = (c: BlockContext, y: string, seq: string | null) => (c.masking === 'none' || !seq ? y : c.E.mul(y, seq));

/** The port's normalisations in eval: LayerNorm, BatchNorm1d over all vectors, MaskedBatchNorm. */
export function normalization(c: BlockContext, x: string, n: Normalization, seq: string | null): string {
  const { E } = c;
  const inner = (n as unknown as { norm?: unknown }).norm;
  if (inner instanceof LayerNorm) return E.layerNorm(x, inner.weight, inner.bias, inner.eps);
  if (inner instanceof BatchNorm1d) {
    const rows = E.reshape(x, [-1, inner.numFeatures]);
    const y = E.node(
      'BatchNormalization',
      [rows, ...[inner.weight, inner.bias, inner.runningMean, inner.runningVar].map((t) => E.weight(t))],
      {
        epsilon: attr.float(inner.eps),
      },
    );
    return E.reshape(y, E.shape(x));
  }
  // MaskedBatchNorm (eval): running statistics [1, 1, D], affine, zero at padding; its eps is upstream's 1e-5.
  const m = n as unknown as { weight: Tensor; bias: Tensor; runningMean: Tensor; runningVar: Tensor };
  if (!m.runningMean) throw new Error('SPANet ONNX: unknown normalization module');
  // the [1, 1, D] statistics as [D], so that a [B, D] head input stays rank 2
  const w = (t: Tensor) => E.weight(t, [t.shape[2]]);
  const inv = E.node('Reciprocal', [E.node('Sqrt', [E.add(w(m.runningVar), E.scalar(1e-5))])]);
  const y = E.add(E.mul(E.mul(E.sub(x, w(m.runningMean)), inv), w(m.weight)), w(m.bias));
  return seq ? E.mul(y, seq) : y;
}

/** GRUGate: (1 − z)·residual + z·tanh(W_g v + U_g (r·residual)). */
export function gruGate(c: BlockContext, vectors: string, residual: string, g: GRUGate): string {
  const { E } = c;
  const r = E.sigmoid(E.add(E.linear(vectors, g.Wr), E.linear(residual, g.Ur)));
  const z = E.sigmoid(E.sub(E.add(E.linear(vectors, g.Wz), E.linear(residual, g.Uz)), E.weight(g.gateBias)));
  const h = E.tanh(E.add(E.linear(vectors, g.Wg), E.linear(E.mul(r, residual), g.Ug)));
  return E.add(E.mul(E.sub(E.scalar(1), z), residual), E.mul(z, h));
}

const residualOf = (c: BlockContext, x: string, block: { residual: import('../linear').Linear | null }) =>
  block.residual ? c.E.linear(x, block.residual) : x;

/** One linear block of any of upstream's types, [..., I] → [..., O]. */
export function linearBlock(c: BlockContext, x: string, block: LinearBlock, seq: string | null): string {
  const { E } = c;
  if (block instanceof GRUBlock) {
    const h1 = E.activation(E.linear(normalization(c, x, block.normalization, seq), block.linear1.linear), block.linear1.activation);
    let out = E.activation(E.linear(h1, block.linear2.linear), block.linear2.activation);
    if (block.skipConnection) out = gruGate(c, out, residualOf(c, x, block), block.gru);
    return masked(c, out, seq);
  }
  if (block instanceof BasicBlock) {
    let y = E.activation(E.linear(x, block.linear), block.activation);
    if (block.skipConnection) y = E.add(y, residualOf(c, x, block));
    return masked(c, normalization(c, y, block.normalization, seq), seq);
  }
  if (block instanceof ResNetBlock) {
    const normFirst = (input: string, b: ResNetBlock['block1'], residual: string) => {
      let y = normalization(c, E.linear(input, b.linear), b.normalization, seq);
      if (b.skipConnection) y = E.add(y, residual);
      return masked(c, E.activation(y, b.activation), seq);
    };
    const hidden = normFirst(x, block.block1, x);
    return normFirst(hidden, block.block2, hidden);
  }
  if (block instanceof GatedBlock) {
    const eta2 = E.activation(E.linear(x, block.linear2), block.activation);
    const eta1 = E.linear(eta2, block.linear1);
    let y = E.mul(E.sigmoid(E.linear(eta1, block.gate.linear1)), E.linear(eta1, block.gate.linear2));
    if (block.skipConnection) y = E.add(y, residualOf(c, x, block));
    return masked(c, normalization(c, y, block.normalization, seq), seq);
  }
  throw new Error('SPANet ONNX: unknown linear block');
}

export const linearStack = (c: BlockContext, x: string, s: LinearStack, seq: string | null) =>
  s.blocks.reduce((y, b) => linearBlock(c, y, b, seq), x);

/** torch's MultiheadAttention (self-attention) on [T, B, E] with a bool key padding mask [B, T] (true = padding). */
export function selfAttention(c: BlockContext, x: string, a: MultiheadAttention, padding: string): string {
  const { E } = c;
  const D = a.embedDim;
  const H = a.numHeads;
  const dh = a.headDim;
  const project = (block: number) => {
    let y = E.node('MatMul', [x, E.rowsTransposed(a.inProjWeight, block * D, D)]);
    if (a.inProjBias) y = E.add(y, E.rowSlice(a.inProjBias, block * D, D));
    return E.reshape(y, [0, 0, H, dh]); // [T, B, H, dh]
  };
  // torch scales the queries before the product
  const q = E.transpose(E.div(project(0), E.scalar(Math.sqrt(dh))), [1, 2, 0, 3]); // [B, H, T, dh]
  const k = E.transpose(project(1), [1, 2, 3, 0]); // [B, H, dh, S]
  const v = E.transpose(project(2), [1, 2, 0, 3]); // [B, H, S, dh]
  const scores = E.node('Where', [E.unsqueeze(padding, [1, 2]), E.scalar(-Infinity), E.node('MatMul', [q, k])]);
  const probs = E.node('Softmax', [scores], { axis: attr.int(-1) });
  const merged = E.reshape(E.transpose(E.node('MatMul', [probs, v]), [2, 0, 1, 3]), [0, 0, D]);
  return E.linear(merged, a.outProj);
}

function torchEncoderLayer(c: BlockContext, x: string, l: TransformerEncoderLayer, padding: string): string {
  const { E } = c;
  const ln = (y: string, n: LayerNorm) => E.layerNorm(y, n.weight, n.bias, n.eps);
  const ffn = (y: string) => {
    let h = E.linear(y, l.linear1); // relu is fused into linear1, as the port's
    if (l.activation === 'gelu') h = E.geluErf(h);
    return E.linear(h, l.linear2);
  };
  if (l.normFirst) {
    const y = E.add(x, selfAttention(c, ln(x, l.norm1), l.selfAttn, padding));
    return E.add(y, ffn(ln(y, l.norm2)));
  }
  const y = ln(E.add(x, selfAttention(c, x, l.selfAttn, padding)), l.norm1);
  return ln(E.add(y, ffn(y)), l.norm2);
}

function gtrxl(c: BlockContext, x: string, l: GTrXL, padding: string, seq: string | null): string {
  const n = l.attentionNorm;
  const normed = c.E.layerNorm(x, n.weight, n.bias, n.eps);
  const attended = selfAttention(c, normed, l.attention, padding);
  return linearBlock(c, gruGate(c, attended, x, l.attentionGate), l.feedForward, seq);
}

/** create_transformer's three kinds (gated, torch post-/pre-norm + masking) and the identity. */
export function transformer(c: BlockContext, x: string, t: Transformer, padding: string, seq: string | null): string {
  if (t instanceof GatedTransformer) return t.layers.reduce((y, l) => gtrxl(c, y, l, padding, seq), x);
  const torch = (t as unknown as { transformer?: { layers: TransformerEncoderLayer[] } }).transformer;
  if (torch)
    return masked(
      c,
      torch.layers.reduce((y, l) => torchEncoderLayer(c, y, l, padding), x),
      seq,
    );
  return x;
}

/** StackedEncoder: linear stack, the particle vector in front, the transformer; vectors [T, B, D] and particle [B, D] apart. */
export function stackedEncoder(
  c: BlockContext,
  x: string,
  s: StackedEncoder,
  padding: string,
  seq: string | null,
): { vectors: string; particle: string } {
  const { E } = c;
  const D = s.hiddenDim;
  const embedded = linearStack(c, x, s.embedding, seq);
  const one = E.ints([1]);
  const particle0 = E.node('Expand', [E.weight(s.particleVector), E.concat([one, c.batch, E.ints([D])], 0)]);
  const combined = E.concat([particle0, embedded], 0);
  const pad = E.concat([E.filled(E.concat([c.batch, one], 0), false), padding], 1);
  const seq2 = seq ? E.concat([E.filled(E.concat([one, c.batch, one], 0), 1), seq], 0) : null;
  const out = transformer(c, combined, s.encoder, pad, seq2);
  return {
    particle: E.node('Squeeze', [E.node('Slice', [out, E.ints([0]), one, E.ints([0])]), E.ints([0])]),
    vectors: E.node('Slice', [out, one, E.ints([2 ** 62]), E.ints([0])]),
  };
}

/** BranchLinear on one vector per event [B, D] → [B, O]: its stack (mask all ones), BatchNorm1d (eval), Linear. */
export function branchLinear(c: BlockContext, v: string, l: BranchLinear): string {
  const { E } = c;
  const h = linearStack(c, v, l.hiddenLayers, null);
  const n = l.outputNorm;
  const normed = E.node('BatchNormalization', [h, ...[n.weight, n.bias, n.runningMean, n.runningVar].map((t) => E.weight(t))], {
    epsilon: attr.float(n.eps),
  });
  return E.linear(normed, l.outputLayer);
}
