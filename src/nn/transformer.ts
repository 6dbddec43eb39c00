import type { Engine } from '../tensor/engine';
import { add } from '../tensor/ops/elementwise';
import { maskedAttention } from '../tensor/ops/attention';
import { layerNorm } from '../tensor/ops/layernorm';
import type { Tensor } from '../tensor/tensor';
import { heUniform } from './init';
import { Linear } from './linear';

/** Learned per-feature scale and shift after normalising each row. */
export class LayerNorm {
  readonly gamma: Tensor<'f32'>;
  readonly beta: Tensor<'f32'>;
  constructor(engine: Engine, readonly width: number, readonly eps = 1e-5) {
    this.gamma = engine.parameter(new Float32Array(width).fill(1), [width]);
    this.beta = engine.parameter(new Float32Array(width), [width]);
  }
  forward(x: Tensor<'f32'>): Tensor<'f32'> {
    return layerNorm(x, this.gamma, this.beta, this.eps);
  }
  parameters(): Tensor<'f32'>[] {
    return [this.gamma, this.beta];
  }
}

/** Token layout of the encoder: B events of N jet slots plus one event token each. */
export interface TokenLayout { B: number; N: number }

/**
 * Pre-norm transformer encoder layer over the tokens of each event:
 *   h = x + Wo · attention(LN(x) · Wqkv),   y = h + W2 · gelu(W1 · LN(h))
 * Attention is masked to the event's real tokens (jets present + the event token).
 */
export class TransformerEncoderLayer {
  readonly ln1: LayerNorm;
  readonly qkv: Linear;
  readonly proj: Linear;
  readonly ln2: LayerNorm;
  readonly ff1: Linear;
  readonly ff2: Linear;

  constructor(engine: Engine, readonly width: number, readonly heads: number, ffWidth: number, rand: () => number) {
    if (width % heads !== 0) throw new Error(`transformer: width ${width} is not divisible by ${heads} heads`);
    this.ln1 = new LayerNorm(engine, width);
    this.qkv = new Linear(engine, width, 3 * width, 'none', rand);
    this.proj = new Linear(engine, width, width, 'none', rand);
    this.ln2 = new LayerNorm(engine, width);
    this.ff1 = new Linear(engine, width, ffWidth, 'gelu', rand);
    this.ff2 = new Linear(engine, ffWidth, width, 'none', rand);
    // Residual branches start small (He init is for ReLU stacks, not residual sums).
    for (const l of [this.proj, this.ff2]) scaleParameter(engine, l, 0.3, rand);
  }

  /** x [B*N + B, W], mask [B, N+1] → same shape. */
  forward(x: Tensor<'f32'>, mask: Tensor<'u32' | 'i32'>, layout: TokenLayout): Tensor<'f32'> {
    const a = maskedAttention(this.qkv.forward(this.ln1.forward(x)), mask, { ...layout, heads: this.heads });
    const h = add(x, this.proj.forward(a));
    return add(h, this.ff2.forward(this.ff1.forward(this.ln2.forward(h))));
  }

  parameters(): Tensor<'f32'>[] {
    return [...this.ln1.parameters(), ...this.qkv.parameters(), ...this.proj.parameters(),
      ...this.ln2.parameters(), ...this.ff1.parameters(), ...this.ff2.parameters()];
  }
}

/** Re-initialises a layer's weight as He-uniform times `s`. */
function scaleParameter(engine: Engine, layer: Linear, s: number, rand: () => number): void {
  engine.gpu.write(layer.weight.buffer, heUniform(layer.inFeatures, layer.outFeatures, rand).map((v) => v * s));
}
