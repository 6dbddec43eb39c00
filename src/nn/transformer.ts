import type { Engine } from '../tensor/engine';
import { add } from '../tensor/ops/elementwise';
import { maskedAttention } from '../tensor/ops/attention';
import { layerNorm } from '../tensor/ops/layernorm';
import type { Tensor } from '../tensor/tensor';
import { heUniform } from './init';
import { Linear } from './linear';
import { Module } from './module';

/** Learned per-feature scale (`weight`) and shift (`bias`) after normalising each row, as torch.nn.LayerNorm. */
export class LayerNorm extends Module {
  readonly weight: Tensor<'f32'>;
  readonly bias: Tensor<'f32'>;
  constructor(
    engine: Engine,
    readonly width: number,
    readonly eps = 1e-5,
  ) {
    super(engine);
    this.weight = this.parameter('weight', new Float32Array(width).fill(1), [width]);
    this.bias = this.parameter('bias', new Float32Array(width), [width]);
  }
  forward(x: Tensor<'f32'>): Tensor<'f32'> {
    return layerNorm(x, this.weight, this.bias, this.eps);
  }
}

/** Token layout of the encoder: B events of N jet slots plus one event token each. */
export interface TokenLayout {
  B: number;
  N: number;
}

/**
 * Pre-norm transformer encoder layer over the tokens of each event:
 *   h = x + Wo · attention(LN(x) · Wqkv),   y = h + W2 · gelu(W1 · LN(h))
 * Attention is masked to the event's real tokens (jets present + the event token).
 * Children: ln1, qkv, proj, ln2, ff1, ff2.
 */
export class TransformerEncoderLayer extends Module {
  readonly ln1: LayerNorm;
  readonly qkv: Linear;
  readonly proj: Linear;
  readonly ln2: LayerNorm;
  readonly ff1: Linear;
  readonly ff2: Linear;

  constructor(
    engine: Engine,
    readonly width: number,
    readonly heads: number,
    ffWidth: number,
    rand: () => number,
  ) {
    super(engine);
    if (width % heads !== 0) throw new Error(`transformer: width ${width} is not divisible by ${heads} heads`);
    this.ln1 = this.registerModule('ln1', new LayerNorm(engine, width));
    this.qkv = this.registerModule('qkv', new Linear(engine, width, 3 * width, 'none', rand));
    this.proj = this.registerModule('proj', new Linear(engine, width, width, 'none', rand));
    this.ln2 = this.registerModule('ln2', new LayerNorm(engine, width));
    this.ff1 = this.registerModule('ff1', new Linear(engine, width, ffWidth, 'gelu', rand));
    this.ff2 = this.registerModule('ff2', new Linear(engine, ffWidth, width, 'none', rand));
    // Residual branches start small (He init is for ReLU stacks, not residual sums).
    for (const l of [this.proj, this.ff2]) l.setWeightInOut(heUniform(l.inFeatures, l.outFeatures, rand).map((v) => v * 0.3));
  }

  /** x [B*N + B, W], mask [B, N+1] → same shape. */
  forward(x: Tensor<'f32'>, mask: Tensor<'u32' | 'i32'>, layout: TokenLayout): Tensor<'f32'> {
    const a = maskedAttention(this.qkv.forward(this.ln1.forward(x)), mask, { ...layout, heads: this.heads });
    const h = add(x, this.proj.forward(a));
    return add(h, this.ff2.forward(this.ff1.forward(this.ln2.forward(h))));
  }
}
