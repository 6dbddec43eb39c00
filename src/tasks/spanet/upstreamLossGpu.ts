/**
 * SPANet v2's assignment + detection loss (upstreamLoss.ts is its f64 reference) from engine
 * ops, differentiable: per particle p and event permutation g the log-probability of the
 * target of particle σ_g(p) (+ log|G_p|, masked, focal, weighted) and the BCE of the
 * detection logit against σ_g(p)'s mask; the permutation with the least total per event (or
 * the mean / softmin), summed over events and divided by the number of events with σ(p)
 * present. Returns the per-particle terms; the caller averages them with the other terms.
 * Balance weights (balance.ts slotWeights) multiply each event's combined terms; the KL term
 * (upstreamKlLoss) is upstream's add_kl_loss.
 */
import type { Engine } from '../../tensor/engine';
import { detach } from '../../tensor/autodiff';
import { gt, maximum } from '../../tensor/ops/broadcast';
import { add, log, mul, scale, sub } from '../../tensor/ops/elementwise';
import { scatterAdd, takeAlongAxis } from '../../tensor/ops/gather';
import { argmin, sumAxes } from '../../tensor/ops/reduceAxes';
import { reshape } from '../../tensor/ops/reshape';
import { softmax } from '../../tensor/ops/softmaxAxis';
import { addScalar, maximumScalar, neg, powScalar, rdivScalar, rsubScalar, softplus, square } from '../../tensor/ops/unary';
import { exp } from '../../tensor/ops/elementwise';
import { maskedFill } from '../../tensor/ops/where';
import type { Tensor } from '../../tensor/tensor';
import { UPSTREAM_LN2, type UpstreamLossOptions } from './upstreamLoss';

type F = Tensor<'f32'>;

/** Host arrays of one batch's permuted targets: [B, G] per particle, row-major. */
export interface PermutedTargetsHost {
  B: number;
  G: number;
  /** per particle: flat target index of σ_g(p) (clamped to ≥ 0 as upstream) */
  index: Int32Array[];
  /** per particle: 1 when σ_g(p) is present */
  mask: Float32Array[];
  /** per particle: σ_g(p)'s weight */
  weight: Float32Array[];
}

/** Upload for one batch (kept by the caller). */
export interface PermutedTargets {
  B: number;
  G: number;
  index: Tensor<'i32'>[];
  mask: F[];
  /** 1 where absent (to zero the log-probability there) */
  absent: Tensor<'u32'>[];
  weight: F[];
}

/** Builds the [B, G] tables from per-event targets (flat index or -1 absent), presence and weights [B, P]. */
export function permutedTargetsHost(
  B: number,
  eventPerms: number[][],
  flat: Int32Array,
  present: ArrayLike<number>,
  weight: ArrayLike<number>,
  P: number,
): PermutedTargetsHost {
  const G = eventPerms.length;
  const index = Array.from({ length: P }, () => new Int32Array(B * G));
  const mask = Array.from({ length: P }, () => new Float32Array(B * G));
  const w = Array.from({ length: P }, () => new Float32Array(B * G));
  for (let b = 0; b < B; b++) {
    eventPerms.forEach((sigma, g) => {
      for (let p = 0; p < P; p++) {
        const q = sigma[p];
        index[p][b * G + g] = Math.max(0, flat[b * P + q]);
        mask[p][b * G + g] = present[b * P + q] ? 1 : 0;
        w[p][b * G + g] = weight[b * P + q];
      }
    });
  }
  return { B, G, index, mask, weight: w };
}

export function uploadPermutedTargets(e: Engine, h: PermutedTargetsHost): PermutedTargets {
  const shape = [h.B, h.G];
  return {
    B: h.B,
    G: h.G,
    index: h.index.map((a) => e.fromArray(a, shape, { dtype: 'i32' }).keep()),
    mask: h.mask.map((a) => e.fromArray(a, shape).keep()),
    absent: h.mask.map((a) =>
      e
        .fromArray(
          Uint32Array.from(a, (v) => (v ? 0 : 1)),
          shape,
          { dtype: 'u32' },
        )
        .keep(),
    ),
    weight: h.weight.map((a) => e.fromArray(a, shape).keep()),
  };
}

export function disposePermutedTargets(t: PermutedTargets): void {
  for (const x of [...t.index, ...t.mask, ...t.absent, ...t.weight]) x.dispose();
}

/**
 * logps: per particle [B, S_p]; detection: per particle logits [B]; numTargets: |G_p|.
 * eventWeight: [B, 1] balance weight per event, or none (1).
 * Returns the scaled per-particle assignment and detection terms (scalars) and the masks
 * permuted by each event's chosen permutation ([B] per particle, for the KL term).
 */
export function upstreamSymmetricLoss(
  logps: F[],
  detection: F[],
  numTargets: number[],
  t: PermutedTargets,
  o: UpstreamLossOptions,
  eventWeight?: F,
): { assignment: F[]; detection: F[]; permutedMask: F[] } {
  const { B, G } = t;
  const A: F[] = [],
    D: F[] = [];
  logps.forEach((logp, p) => {
    // upstream adds log(torch.scalar_tensor(num_targets)), a float32 value
    const lp = maskedFill(addScalar(takeAlongAxis(logp, t.index[p], 1), Math.fround(Math.log(numTargets[p]))), t.absent[p], 0);
    // (1 - p)^γ, with the base kept off 0 so that γ < 1 has a finite gradient (upstream: NaN there)
    const focal = o.focal_gamma === 0 ? null : powScalar(maximumScalar(rsubScalar(exp(lp), 1), 1e-12), o.focal_gamma);
    const nll = neg(mul(focal ? mul(lp, focal) : lp, t.weight[p]));
    A.push(scale(nll, o.assignment_loss_scale));
    const z = reshape(detection[p], [B, 1]);
    const bce = mul(sub(softplus(z), mul(z, t.mask[p])), t.weight[p]);
    D.push(scale(bce, o.detection_loss_scale));
  });
  let total = add(A[0], D[0]);
  for (let p = 1; p < A.length; p++) total = add(total, add(A[p], D[p]));
  const e = total.engine;
  const best = reshape(argmin(detach(total), 1), [B, 1]);
  const onehot = scatterAdd(e.zeros([B, G]), 1, best, e.fromArray(new Float32Array(B).fill(1), [B, 1]));
  const mode = o.combine_pair_loss.toLowerCase();
  const combine =
    mode === 'mean' ? e.fromArray(new Float32Array(B * G).fill(1 / G), [B, G]) : mode === 'softmin' ? softmax(neg(total), 1) : onehot;
  // upstream weights the combined terms, so the choice (argmin, softmin) stays unweighted
  const weights = eventWeight ? mul(combine, eventWeight) : combine;
  const out = { assignment: [] as F[], detection: [] as F[], permutedMask: [] as F[] };
  A.forEach((a, p) => {
    const permuted = sumAxes(mul(onehot, t.mask[p]), 1);
    out.permutedMask.push(permuted);
    const present = maximumScalar(sumAxes(permuted), 1);
    const inv = rdivScalar(present, 1);
    out.assignment.push(mul(sumAxes(mul(weights, a)), inv));
    out.detection.push(mul(sumAxes(mul(weights, D[p])), inv));
  });
  return out;
}

/** Below every finite log-probability the network gives; −inf entries are raised to it (no inf arithmetic, zero gradient). */
const LOG_FLOOR = -1e30;

/**
 * Upstream's add_kl_loss, unscaled: per transposition (i, j) of the event group the
 * Jensen-Shannon divergence of the two particles' log-probabilities [B, S] (gradient only
 * through the mixture, as upstream detaches p and q; entries where either is −inf left out,
 * as upstream's nansum), exp(−div²) where both permuted masks hold, the mean over
 * transpositions, then 2P · Σ_b w_b · term_b / Σ permuted masks (upstream's [P, 2, B] weights).
 */
export function upstreamKlLoss(logps: F[], permutedMask: F[], pairs: [number, number][], eventWeight: F | null): F {
  const P = logps.length;
  let sum: F | null = null;
  for (const [i, j] of pairs) {
    const a = maximumScalar(logps[i], LOG_FLOOR),
      b = maximumScalar(logps[j], LOG_FLOOR);
    const valid = mul(gt(logps[i], LOG_FLOOR), gt(logps[j], LOG_FLOOR));
    const hi = detach(maximum(a, b));
    const logM = addScalar(add(hi, log(add(exp(sub(a, hi)), exp(sub(b, hi))))), -UPSTREAM_LN2);
    const pa = detach(a),
      pb = detach(b);
    const kl = add(mul(exp(pa), sub(pa, logM)), mul(exp(pb), sub(pb, logM)));
    const div = scale(sumAxes(mul(valid, kl), 1), 0.5);
    const term = mul(exp(neg(square(div))), mul(permutedMask[i], permutedMask[j]));
    sum = sum ? add(sum, term) : term;
  }
  if (!sum) throw new Error('upstreamKlLoss: the event group has no transpositions');
  const perEvent = eventWeight ? mul(sum, reshape(eventWeight, [sum.shape[0]])) : sum;
  let present = sumAxes(permutedMask[0]);
  for (let p = 1; p < P; p++) present = add(present, sumAxes(permutedMask[p]));
  return mul(scale(sumAxes(perEvent), (2 * P) / pairs.length), rdivScalar(maximumScalar(present, 1), 1));
}
