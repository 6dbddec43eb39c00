/**
 * The SPANet encoder of cases/spanet.ts in tfjs, on tokens laid out [events, jets + 1, features]
 * (event token last; jetTokens.ts converts from ours).
 */
import * as tf from '@tensorflow/tfjs-core';

const GELU_C = Math.sqrt(2 / Math.PI);
/** The tanh approximation our kernels use (tfjs's fused activations have no GELU). */
function gelu(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), GELU_C))));
}

function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))), gamma), beta);
}

/**
 * Parameters in our order: embed (w, b)×2; per layer ln1 (γ, β), qkv, proj, ln2, ff1, ff2;
 * final norm (γ, β); head (w, b). Weights are [in, out] on both sides.
 */
export class TfjsEncoder {
  readonly vars: tf.Variable[];

  constructor(
    params: { data: Float32Array; shape: number[] }[],
    readonly layers: number,
    readonly heads: number,
  ) {
    if (params.length !== 4 + 12 * layers + 4)
      throw new Error(`tfjs encoder: expected ${4 + 12 * layers + 4} parameters, got ${params.length}`);
    const tag = Math.random().toString(36).slice(2);
    this.vars = params.map((p, i) => tf.variable(tf.tensor(p.data, p.shape), true, `spanet_${tag}_${i}`));
  }

  private linear(x: tf.Tensor, i: number): tf.Tensor {
    const [rows, w] = [x.size / x.shape[x.rank - 1], x.shape[x.rank - 1]];
    const out = this.vars[i].shape[1]!;
    const y = tf.add(tf.matMul(tf.reshape(x, [rows, w]), this.vars[i] as tf.Tensor2D), this.vars[i + 1]);
    return tf.reshape(y, [...x.shape.slice(0, -1), out]);
  }

  /** tokens [B, T, F], maskBias [B, 1, 1, T] (0 or −1e9) → event-token output [B, 1]. */
  forward(tokens: tf.Tensor3D, maskBias: tf.Tensor4D): tf.Tensor2D {
    const [B, T] = tokens.shape;
    let h = gelu(this.linear(gelu(this.linear(tokens, 0)), 2));
    const W = h.shape[2]!;
    const H = this.heads;
    const dh = W / H;
    for (let l = 0; l < this.layers; l++) {
      const p = 4 + 12 * l;
      const qkv = this.linear(layerNorm(h, this.vars[p], this.vars[p + 1]), p + 2); // [B, T, 3W]
      // Columns [q | k | v], each split into heads: [B, T, 3, H, dh] → [3, B, H, T, dh].
      const split = tf.transpose(tf.reshape(qkv, [B, T, 3, H, dh]), [2, 0, 3, 1, 4]);
      const [q, k, v] = tf.unstack(split, 0) as tf.Tensor4D[];
      const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dh)), maskBias);
      const att = tf.reshape(tf.transpose(tf.matMul(tf.softmax(scores), v), [0, 2, 1, 3]), [B, T, W]);
      h = tf.add(h, this.linear(att, p + 4));
      const ff = this.linear(gelu(this.linear(layerNorm(h, this.vars[p + 6], this.vars[p + 7]), p + 8)), p + 10);
      h = tf.add(h, ff);
    }
    const f = 4 + 12 * this.layers;
    const event = tf.reshape(tf.slice(h, [0, T - 1, 0], [B, 1, W]), [B, W]);
    return this.linear(layerNorm(event, this.vars[f], this.vars[f + 1]), f + 2) as tf.Tensor2D;
  }

  dispose(): void {
    tf.dispose(this.vars);
  }
}
