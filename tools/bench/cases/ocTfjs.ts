/**
 * The object condensation loss (default, non-tiger semantics of `object_condensation`) on one
 * event, written densely with tfjs ops, as a tfjs user would: N×K one-hot membership, N×K
 * charges and distances. Same definitions as src/losses/oc/reference.ts:
 *   q_j = artanh(β_j)² + q_min,  α_k = argmax_j q_j·M_jk (held fixed)
 *   attractive = 1/K Σ_k Σ_j M_jk q_j q_αk d²_jk / (n_k + ε)
 *   repulsive  = 1/K Σ_k Σ_j (1 − M_jk) q_j q_αk relu(1 − d_jk) / (N − n_k + ε)
 *   coward = 1/K Σ_k (1 − β_αk),  noise = mean of β over noise hits.
 */
import * as tf from '@tensorflow/tfjs-core';

const EPS = 1e-9;
/**
 * d = sqrt(max(d², 1e-12)): the floor keeps sqrt's gradient finite where d² = 0 (a hit at its
 * own condensation point, whose repulsive entry is masked: 0·∞ would be NaN); it moves d only
 * below 1e-6, where relu(1 − d) changes by less than f32 resolves.
 */
const D2_FLOOR = 1e-12;

export interface DenseOcConstants {
  /** [N, K] one-hot membership (zero rows for noise). */
  member: tf.Tensor2D;
  /** [K] hits per object. */
  count: tf.Tensor1D;
  /** [N] 1 for noise hits. */
  noise: tf.Tensor1D;
  noiseCount: number;
  qMin: number;
}

export interface DenseOcTerms {
  attractive: tf.Scalar;
  repulsive: tf.Scalar;
  coward: tf.Scalar;
  noise: tf.Scalar;
}

const charge = (beta: tf.Tensor1D, qMin: number) => tf.add(tf.square(tf.atanh(beta)), qMin) as tf.Tensor1D;

/**
 * α_k = argmax_j q_j·M_jk, [K] int32. Call it outside the function being differentiated:
 * tfjs has no stop-gradient, and an int32 index computed on the tape breaks gather's gradient.
 * Upstream holds the condensation points fixed too.
 */
export function condensationPointsDense(beta: tf.Tensor1D, c: DenseOcConstants): tf.Tensor1D {
  return tf.tidy(() => tf.argMax(tf.mul(tf.expandDims(charge(beta, c.qMin), 1), c.member), 0) as tf.Tensor1D);
}

/** beta [N], x [N, D], α [K] (from condensationPointsDense) → the four terms (differentiable in beta and x). */
export function denseOcLoss(beta: tf.Tensor1D, x: tf.Tensor2D, alpha: tf.Tensor1D, c: DenseOcConstants): DenseOcTerms {
  const [n, K] = c.member.shape;
  const q = charge(beta, c.qMin);
  const qa = tf.gather(q, alpha);
  const xa = tf.gather(x, alpha) as tf.Tensor2D;
  const ba = tf.gather(beta, alpha);
  // ‖x_j − x_αk‖² = |x_j|² + |x_αk|² − 2 x_j·x_αk: one N×K matmul instead of an N×K×D difference.
  const sqj = tf.sum(tf.square(x), 1, true);
  const sqa = tf.expandDims(tf.sum(tf.square(xa), 1), 0);
  const d2 = tf.relu(tf.sub(tf.add(sqj, sqa), tf.mul(tf.matMul(x, xa, false, true), 2)));
  const qq = tf.matMul(tf.expandDims(q, 1), tf.expandDims(qa, 0)); // [N, K]
  const attPerObj = tf.div(tf.sum(tf.mul(tf.mul(c.member, qq), d2), 0), tf.add(c.count, EPS));
  const d = tf.sqrt(tf.maximum(d2, D2_FLOOR));
  const hinge = tf.relu(tf.sub(1, d));
  const repPerObj = tf.div(tf.sum(tf.mul(tf.mul(tf.sub(1, c.member), qq), hinge), 0), tf.add(tf.sub(n, c.count), EPS));
  const noise = c.noiseCount > 0 ? tf.div(tf.sum(tf.mul(beta, c.noise)), c.noiseCount) : tf.scalar(NaN);
  return {
    attractive: tf.div(tf.sum(attPerObj), K) as tf.Scalar,
    repulsive: tf.div(tf.sum(repPerObj), K) as tf.Scalar,
    coward: tf.mean(tf.sub(1, ba)) as tf.Scalar,
    noise: noise as tf.Scalar,
  };
}
