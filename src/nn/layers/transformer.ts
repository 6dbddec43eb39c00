import type { Engine } from '../../tensor/engine';
import { add } from '../../tensor/ops/elementwise';
import { reshape } from '../../tensor/ops/reshape';
import { geluErf } from '../../tensor/ops/unary';
import type { Tensor } from '../../tensor/tensor';
import { Linear } from '../linear';
import { Module } from '../module';
import { MultiheadAttention } from './attention';
import { Dropout } from './dropout';
import { LayerNorm } from './layerNorm';

export interface TransformerEncoderLayerOptions {
  dimFeedforward?: number;
  dropout?: number;
  /** 'relu' (fused into linear1) or 'gelu' (exact erf form, torch's default 'gelu'). */
  activation?: 'relu' | 'gelu';
  layerNormEps?: number;
  batchFirst?: boolean;
  normFirst?: boolean;
  bias?: boolean;
  /** Seeds the dropout masks. */
  seed?: number;
}

export interface EncoderCall {
  /** Additive f32 mask [T, T] or [B·H, T, T] (torch's float src_mask). */
  srcMask?: Tensor<'f32'>;
  /** [B, T]: non-zero marks a padded position (torch's src_key_padding_mask). */
  srcKeyPaddingMask?: Tensor;
}

type F = Tensor<'f32'>;

const uniform = (n: number, bound: number, rand: () => number) => Float32Array.from({ length: n }, () => (2 * rand() - 1) * bound);

/** A Linear with torch's default initialisation: weight and bias U(±1/√in). */
function torchLinear(engine: Engine, inF: number, outF: number, act: 'none' | 'relu', rand: () => number, bias: boolean): Linear {
  const l = new Linear(engine, inF, outF, act, rand, { bias });
  const bound = 1 / Math.sqrt(inF);
  engine.gpu.write(l.weight.buffer, uniform(inF * outF, bound, rand));
  if (l.bias) engine.gpu.write(l.bias.buffer, uniform(outF, bound, rand));
  return l;
}

/**
 * torch.nn.TransformerEncoderLayer: members self_attn, linear1, dropout, linear2, norm1,
 * norm2, dropout1, dropout2 with torch's state-dict names, and torch's forward:
 *   post-norm: x = norm1(x + sa(x)); x = norm2(x + ff(x))
 *   pre-norm:  x = x + sa(norm1(x)); x = x + ff(norm2(x))
 * sa = dropout1(self_attn(x, x, x)), ff = dropout2(linear2(dropout(act(linear1(x))))).
 * Outputs at padded positions are computed like any other (torch's inference fast path may
 * return something else there); a position whose keys are all padded gets no NaN.
 */
export class TransformerEncoderLayer extends Module {
  readonly selfAttn: MultiheadAttention;
  readonly linear1: Linear;
  readonly dropout: Dropout;
  readonly linear2: Linear;
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;
  readonly dropout1: Dropout;
  readonly dropout2: Dropout;
  readonly activation: 'relu' | 'gelu';
  readonly normFirst: boolean;
  readonly batchFirst: boolean;

  constructor(
    engine: Engine,
    readonly dModel: number,
    readonly nhead: number,
    rand: () => number,
    opts: TransformerEncoderLayerOptions = {},
  ) {
    super(engine);
    const ff = opts.dimFeedforward ?? 2048;
    const p = opts.dropout ?? 0.1;
    const eps = opts.layerNormEps ?? 1e-5;
    const bias = opts.bias !== false;
    const seed = opts.seed ?? 0;
    this.activation = opts.activation ?? 'relu';
    if (this.activation !== 'relu' && this.activation !== 'gelu')
      throw new Error(`TransformerEncoderLayer: activation ${this.activation} is not relu or gelu`);
    this.normFirst = !!opts.normFirst;
    this.batchFirst = !!opts.batchFirst;
    this.selfAttn = this.registerModule(
      'self_attn',
      new MultiheadAttention(engine, dModel, nhead, rand, { dropout: p, batchFirst: this.batchFirst, bias, seed }),
    );
    this.linear1 = this.registerModule(
      'linear1',
      torchLinear(engine, dModel, ff, this.activation === 'relu' ? 'relu' : 'none', rand, bias),
    );
    this.dropout = this.registerModule('dropout', new Dropout(engine, p, seed + 1));
    this.linear2 = this.registerModule('linear2', torchLinear(engine, ff, dModel, 'none', rand, bias));
    this.norm1 = this.registerModule('norm1', new LayerNorm(engine, dModel, { eps }));
    this.norm2 = this.registerModule('norm2', new LayerNorm(engine, dModel, { eps }));
    this.dropout1 = this.registerModule('dropout1', new Dropout(engine, p, seed + 2));
    this.dropout2 = this.registerModule('dropout2', new Dropout(engine, p, seed + 3));
  }

  /** src [T, B, E] (or [B, T, E] with batchFirst) → same shape. */
  forward(src: F, call: EncoderCall = {}): F {
    const E = this.dModel;
    if (src.rank !== 3 || src.shape[2] !== E)
      throw new Error(`TransformerEncoderLayer: src [${src.shape}] must be 3-D with d_model ${E} last`);
    const sa = (x: F): F => {
      const y = this.selfAttn.forward(reshape(x, src.shape), undefined, undefined, {
        attnMask: call.srcMask,
        keyPaddingMask: call.srcKeyPaddingMask,
      });
      return this.dropout1.forward(reshape(y, [-1, E]));
    };
    const ffn = (x: F): F => {
      let h = this.linear1.forward(x);
      if (this.activation === 'gelu') h = geluErf(h);
      return this.dropout2.forward(this.linear2.forward(this.dropout.forward(h)));
    };
    // Token rows [B·T, E]: every sub-layer but attention works row by row.
    let x = reshape(src, [-1, E]);
    if (this.normFirst) {
      x = add(x, sa(this.norm1.forward(x)));
      x = add(x, ffn(this.norm2.forward(x)));
    } else {
      x = this.norm1.forward(add(x, sa(x)));
      x = this.norm2.forward(add(x, ffn(x)));
    }
    return reshape(x, src.shape);
  }
}
