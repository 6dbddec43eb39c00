/**
 * Upstream SPANet's input embedding and gated (GTrXL) central encoder in tfjs-core ops: the
 * twin of our port's MultiInputVectorEmbedding + StackedEncoder (src/nn/spanetUpstream) for
 * one SEQUENTIAL input, GRU linear blocks with skip connections, LayerNorm, Filling masking,
 * no linear layers in the encoder's own stack. Parameters are looked up by our (= torch's)
 * state-dict names, in our layouts (Linear weights [out, in]), so gradients compare as they are.
 * Vectors are [T, B, D] as upstream's.
 */
import * as tf from '@tensorflow/tfjs-core';

const SQRT1_2 = Math.SQRT1_2;
const LN_EPS = 1e-5; // torch.nn.LayerNorm's default, as ours

/** nn.GELU(): the exact erf form (upstream's linear and transformer activation "gelu"). */
function geluErf(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, SQRT1_2))));
}

export interface TfjsParam {
  name: string;
  data: Float32Array;
  shape: number[];
}

/** Inputs of one step: the input's vectors batch-first as the dataset gives them. */
export interface TfjsEncoderInputs {
  /** [B, T, I] raw features */
  data: tf.Tensor3D;
  /** [B, T, 1] 1 = real vector (the normaliser's mask) */
  batchMask: tf.Tensor3D;
  /** [T, B, 1] upstream's sequence mask of the vectors */
  sequenceMask: tf.Tensor3D;
  /** [T + 1, B, 1] the same with the particle vector in front */
  sequenceMaskWithParticle: tf.Tensor3D;
  /** [B, 1, 1, T + 1] additive key-padding mask of the attention: 0 real, −1e9 padding */
  keyBias: tf.Tensor4D;
}

export class TfjsUpstreamEncoder {
  /** Trainable variables in the order of the parameters given. */
  readonly vars: tf.Variable[];
  private readonly byName = new Map<string, tf.Variable>();
  private readonly embeddingBlocks: string[];
  private readonly layers: string[];

  constructor(
    params: TfjsParam[],
    /** The normaliser's (untrained) mean and std [I]. */
    private readonly normalizer: { mean: tf.Tensor1D; std: tf.Tensor1D },
    private readonly heads: number,
  ) {
    const tag = Math.random().toString(36).slice(2);
    this.vars = params.map((p, i) => {
      const v = tf.variable(tf.tensor(p.data, p.shape), true, `spanetUp_${tag}_${i}`);
      this.byName.set(p.name, v);
      return v;
    });
    const prefixes = (re: RegExp) => [...new Set(params.map((p) => re.exec(p.name)?.[0]).filter((x): x is string => !!x))];
    this.embeddingBlocks = prefixes(/^embedding\.vector_embedding_layers\.0\.vector_embeddings\.embedding_stack\.embedding_layers\.\d+\./);
    this.layers = prefixes(/^encoder\.encoder\.layers\.\d+\./);
    const inputs = prefixes(/^embedding\.vector_embedding_layers\.\d+\./);
    if (inputs.length !== 1) throw new Error(`tfjs upstream encoder: one SEQUENTIAL input is ported, got ${inputs.length}`);
    if (params.some((p) => p.name.startsWith('encoder.embedding.')))
      throw new Error('tfjs upstream encoder: the encoder has its own linear layers; the twin has none');
  }

  private p(name: string): tf.Variable {
    const v = this.byName.get(name);
    if (!v) throw new Error(`tfjs upstream encoder: no parameter ${name}`);
    return v;
  }

  private has(name: string): boolean {
    return this.byName.has(name);
  }

  /** x [..., in] · Wᵀ (+ b): torch's Linear on the last axis. */
  private linear(x: tf.Tensor, prefix: string): tf.Tensor {
    const w = this.p(`${prefix}weight`);
    const [out, inDim] = w.shape;
    const y2 = tf.matMul(tf.reshape(x, [-1, inDim]), w as tf.Tensor2D, false, true);
    const y = this.has(`${prefix}bias`) ? tf.add(y2, this.p(`${prefix}bias`)) : y2;
    return tf.reshape(y, [...x.shape.slice(0, -1), out]);
  }

  private layerNorm(x: tf.Tensor, prefix: string): tf.Tensor {
    const { mean, variance } = tf.moments(x, -1, true);
    const n = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, LN_EPS)));
    return tf.add(tf.mul(n, this.p(`${prefix}weight`)), this.p(`${prefix}bias`));
  }

  /** GRUGate: z·h + (1 − z)·residual, z biased towards the residual by gate_bias. */
  private gate(v: tf.Tensor, res: tf.Tensor, p: string): tf.Tensor {
    const r = tf.sigmoid(tf.add(this.linear(v, `${p}linear_W_r.`), this.linear(res, `${p}linear_U_r.`)));
    const z = tf.sigmoid(tf.sub(tf.add(this.linear(v, `${p}linear_W_z.`), this.linear(res, `${p}linear_U_z.`)), this.p(`${p}gate_bias`)));
    const h = tf.tanh(tf.add(this.linear(v, `${p}linear_W_g.`), this.linear(tf.mul(r, res), `${p}linear_U_g.`)));
    return tf.add(tf.mul(tf.sub(1, z), res), tf.mul(z, h));
  }

  /** GRUBlock with skip connection: norm → Linear·GELU ×2 → gate against x (or its projection) → mask. */
  private gruBlock(x: tf.Tensor, mask: tf.Tensor, p: string): tf.Tensor {
    const h = geluErf(
      this.linear(geluErf(this.linear(this.layerNorm(x, `${p}normalization.normalization.`), `${p}linear_1.0.`)), `${p}linear_2.0.`),
    );
    const res = this.has(`${p}residual.weight`) ? this.linear(x, `${p}residual.`) : x;
    return tf.mul(this.gate(h, res, `${p}gru.`), mask);
  }

  /** torch MultiheadAttention self-attention on [T, B, E] with an additive key bias [B, 1, 1, T]. */
  private attention(x: tf.Tensor, keyBias: tf.Tensor4D, p: string): tf.Tensor {
    const [T, B, E] = x.shape;
    const H = this.heads;
    const dh = E / H;
    const qkv = tf.add(
      tf.matMul(tf.reshape(x, [T * B, E]), this.p(`${p}in_proj_weight`) as tf.Tensor2D, false, true),
      this.p(`${p}in_proj_bias`),
    );
    // [T, B, 3, H, dh] → [3, B, H, T, dh]
    const [q, k, v] = tf.unstack(tf.transpose(tf.reshape(qkv, [T, B, 3, H, dh]), [2, 1, 3, 0, 4]), 0) as tf.Tensor4D[];
    const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dh)), keyBias);
    const o = tf.matMul(tf.softmax(scores), v); // [B, H, T, dh]
    return this.linear(tf.reshape(tf.transpose(o, [2, 0, 1, 3]), [T, B, E]), `${p}out_proj.`);
  }

  /** → the encoder's output [T + 1, B, D]: the particle vector first, then the T vectors. */
  forward(x: TfjsEncoderInputs): tf.Tensor3D {
    const [B, T] = x.data.shape;
    const input = 'embedding.vector_embedding_layers.0.';
    const normed = tf.mul(tf.div(tf.sub(x.data, this.normalizer.mean), this.normalizer.std), x.batchMask);
    let h: tf.Tensor = tf.transpose(normed, [1, 0, 2]);
    for (const block of this.embeddingBlocks) h = this.gruBlock(h, x.sequenceMask, block);
    const position = this.p(`${input}position_embedding.position_embedding`);
    h = tf.concat([h, tf.add(tf.zeros([T, B, position.shape[2]!]), position)], 2);
    h = this.gruBlock(h, x.sequenceMask, 'embedding.final_embedding_layer.');
    const particle = this.p('encoder.particle_vector');
    h = tf.concat([tf.add(tf.zeros([1, B, particle.shape[2]!]), particle), h], 0);
    for (const l of this.layers) {
      const attended = this.attention(this.layerNorm(h, `${l}attention_norm.`), x.keyBias, `${l}attention.`);
      h = this.gruBlock(this.gate(attended, h, `${l}attention_gate.`), x.sequenceMaskWithParticle, `${l}feed_forward.`);
    }
    return h as tf.Tensor3D;
  }

  dispose(): void {
    tf.dispose([...this.vars, this.normalizer.mean, this.normalizer.std]);
  }
}
