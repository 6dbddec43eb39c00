import type { Engine } from '../../tensor/engine';
import { attention4d, attentionProbs, type AttentionOptions } from '../../tensor/ops/attention4d';
import { mergeHeads, narrowRows, splitHeads } from '../../tensor/ops/attentionHeads';
import { dropout } from '../../tensor/ops/dropout';
import { matmul } from '../../tensor/ops/matmul';
import { reshape } from '../../tensor/ops/reshape';
import { mix32 } from '../../tensor/reference/dropout';
import type { Tensor } from '../../tensor/tensor';
import { Linear } from '../linear';
import { Module } from '../module';

export interface MultiheadAttentionOptions {
  /** in_proj_bias and out_proj.bias (default true). */
  bias?: boolean;
  /** Inputs are [B, T, E] (default false: [T, B, E], as torch). */
  batchFirst?: boolean;
  /** Dropout on the attention probabilities in train mode (default 0). */
  dropout?: number;
  /** Seeds the dropout masks (torch's RNG stream is not reproduced). */
  seed?: number;
}

export interface AttentionCall {
  /** [B, S], torch's key_padding_mask: non-zero marks a padded key (u32, i32 or f32). */
  keyPaddingMask?: Tensor;
  /** Additive f32 mask [T, S] or [B·H, T, S], as torch's float attn_mask; -inf entries mask. */
  attnMask?: Tensor<'f32'>;
}

type F = Tensor<'f32'>;

/** n draws uniform in [-bound, bound). */
const uniform = (n: number, bound: number, rand: () => number) => Float32Array.from({ length: n }, () => (2 * rand() - 1) * bound);

/**
 * torch.nn.MultiheadAttention with kdim = vdim = embed_dim: parameters in_proj_weight
 * [3E, E], in_proj_bias [3E], out_proj.weight [E, E], out_proj.bias [E], initialised as
 * torch (xavier-uniform in-projection, zero biases). forward returns the attention output
 * only (torch's need_weights=False). A query whose keys are all masked gets output
 * out_proj.bias rather than torch's NaN (see ops/attention4d).
 */
export class MultiheadAttention extends Module {
  readonly inProjWeight: F;
  readonly inProjBias: F | null;
  readonly outProj: Linear;
  readonly headDim: number;
  readonly batchFirst: boolean;
  readonly dropout: number;
  private readonly seed: number;
  private step = 0;

  constructor(
    engine: Engine,
    readonly embedDim: number,
    readonly numHeads: number,
    rand: () => number,
    opts: MultiheadAttentionOptions = {},
  ) {
    super(engine);
    if (embedDim % numHeads !== 0) throw new Error(`MultiheadAttention: embed_dim ${embedDim} is not divisible by num_heads ${numHeads}`);
    this.headDim = embedDim / numHeads;
    this.batchFirst = !!opts.batchFirst;
    this.dropout = opts.dropout ?? 0;
    if (!(this.dropout >= 0 && this.dropout < 1)) throw new Error(`MultiheadAttention: dropout ${this.dropout} must be in [0, 1)`);
    this.seed = opts.seed ?? 0;
    const E = embedDim;
    this.inProjWeight = this.parameter('in_proj_weight', uniform(3 * E * E, Math.sqrt(6 / (E + 3 * E)), rand), [3 * E, E]);
    this.inProjBias =
      opts.bias === false ? this.registerParameter('in_proj_bias', null) : this.parameter('in_proj_bias', new Float32Array(3 * E), [3 * E]);
    this.outProj = this.registerModule('out_proj', new Linear(engine, E, E, 'none', rand, { bias: opts.bias !== false }));
    // torch's Linear default (kaiming-uniform, a = √5: bound 1/√E); MHA zeroes its bias.
    engine.gpu.write(this.outProj.weight.buffer, uniform(E * E, 1 / Math.sqrt(E), rand));
  }

  /**
   * query [T, B, E] (or [B, T, E] with batchFirst, or unbatched [T, E]); key and value
   * [S, B, E] likewise (default: the query, i.e. self-attention). Returns the query's shape.
   */
  forward(query: F, key: F = query, value: F = key, call: AttentionCall = {}): F {
    const E = this.embedDim;
    const unbatched = query.rank === 2;
    const as3d = (x: F, what: string): F => {
      if (x.rank !== (unbatched ? 2 : 3) || x.shape[x.rank - 1] !== E) {
        throw new Error(
          `MultiheadAttention: ${what} [${x.shape}] must be ${unbatched ? '[L, E]' : this.batchFirst ? '[B, L, E]' : '[L, B, E]'} with E = ${E}`,
        );
      }
      return unbatched ? reshape(x, this.batchFirst ? [1, ...x.shape] : [x.shape[0], 1, E]) : x;
    };
    const [q3, k3, v3] = [as3d(query, 'query'), as3d(key, 'key'), as3d(value, 'value')];
    if (k3.shape.join() !== v3.shape.join()) throw new Error(`MultiheadAttention: key [${key.shape}] and value [${value.shape}] differ`);
    const out = this.attend(q3, k3, v3, call);
    return unbatched ? reshape(out, query.shape) : out;
  }

  /** The projections and attention on 3-D inputs in the module's layout. */
  private attend(q3: F, k3: F, v3: F, call: AttentionCall): F {
    const E = this.embedDim;
    const seqFirst = !this.batchFirst;
    const heads = (x: F, block: number): F => {
      const w = narrowRows(this.inProjWeight, block * E, E);
      const b = this.inProjBias ? narrowRows(this.inProjBias, block * E, E) : undefined;
      const y = matmul(reshape(x, [-1, E]), w, { transB: true }, b);
      return splitHeads(reshape(y, x.shape), this.numHeads, seqFirst);
    };
    const [q, k, v] = [heads(q3, 0), heads(k3, 1), heads(v3, 2)];
    const [B, H, T] = q.shape;
    const S = k.shape[2];
    const opts: AttentionOptions = { keyMask: call.keyPaddingMask, keyMaskPads: true, addMask: call.attnMask };
    let o: F;
    if (this.training && this.dropout > 0) {
      const p = dropout(attentionProbs(q, k, opts), this.dropout, mix32((this.seed ^ mix32(this.step++)) >>> 0));
      o = reshape(matmul(reshape(p, [B * H, T, S]), reshape(v, [B * H, S, this.headDim])), [B, H, T, this.headDim]);
    } else {
      o = attention4d(q, k, v, opts);
    }
    const merged = mergeHeads(o, seqFirst);
    return reshape(this.outProj.forward(reshape(merged, [-1, E])), merged.shape);
  }
}
