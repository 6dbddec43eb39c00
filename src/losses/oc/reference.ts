/**
 * f64 reference of the object condensation losses of the Python package `object_condensation`
 * (pytorch `condensation_loss` / `condensation_loss_tiger`), written from the definitions:
 *   q_j = artanh(β_j)² + q_min,   α_k = first argmax_j q_j·[j ∈ k]   (not differentiated)
 *   attractive = 1/K Σ_k Σ_{j∈k} w_j q_j q_αk ‖x_j − x_αk‖² / (n_k + ε)
 *   repulsive  = 1/K Σ_k Σ_{j∉k} w_j q_j q_αk relu(1 − ‖x_j − x_αk‖) / (N − n_k + ε)
 *   coward     = 1/K Σ_k (1 − β_αk),   noise = mean_{j∈B} β_j (NaN if B is empty)
 * with ε = 1e-9. Packed events: each term per event, then the mean over events (noise over
 * the events that have noise hits). |β| is clamped to BETA_MAX (see below).
 */
import type { OcLayoutHost } from './layout';
import { keepProbability, pairUniform } from './sampling';

/** The largest f32 below 1: artanh stays finite. Only |β| = 1 exactly is changed for f32 inputs;
 *  upstream (no clamp) returns an infinite q there and a NaN loss. */
export const BETA_MAX = 1 - 2 ** -24;
export const OC_EPS = 1e-9;

export interface OcValues {
  attractive: number;
  repulsive: number;
  coward: number;
  noise: number;
  /** Pairs (hit, object) with the hit not in the object and distance < 1 (tiger's n_rep). */
  nRep: number;
}

export interface OcRefInput {
  beta: ArrayLike<number>;
  /** [N, D] row-major. */
  x: ArrayLike<number>;
  d: number;
  weights?: ArrayLike<number> | null;
  qMin: number;
}

export interface OcSampling {
  maxNRep: number;
  seed: number;
}

/**
 * Upstream adds ε to an integer count tensor, which torch promotes to float32: the guard only
 * matters for a zero count, and the f32 rounding is part of the result (~1e-9 relative).
 */
export const countPlusEps = (count: number) => Math.fround(count + OC_EPS);

export const clampBeta = (b: number) => Math.min(BETA_MAX, Math.max(-BETA_MAX, b));
export const chargeRef = (b: number, qMin: number) => Math.atanh(clampBeta(b)) ** 2 + qMin;

/** Condensation point of every object: first hit maximising q_j·[j ∈ k] over the event. */
export function condensationPoints(layout: OcLayoutHost, q: ArrayLike<number>): Int32Array {
  const alpha = new Int32Array(layout.k);
  for (let k = 0; k < layout.k; k++) {
    const ev = layout.hitEvent[layout.members[layout.objOffsets[k]]];
    let best = -1;
    let bestV = -Infinity;
    for (let j = layout.eventHits[ev]; j < layout.eventHits[ev + 1]; j++) {
      const v = layout.hitObj[j] === k ? q[j] : 0;
      if (v > bestV) {
        bestV = v;
        best = j;
      }
    }
    alpha[k] = best;
  }
  return alpha;
}

export function ocLossReference(layout: OcLayoutHost, inp: OcRefInput, sampling?: OcSampling): OcValues {
  const { n, d } = { n: layout.n, d: inp.d };
  const w = (j: number) => (inp.weights ? inp.weights[j] : 1);
  const q = Float64Array.from({ length: n }, (_, j) => chargeRef(inp.beta[j], inp.qMin));
  const alpha = condensationPoints(layout, q);
  const dist = (j: number, a: number) => {
    let s = 0;
    for (let c = 0; c < d; c++) s += (inp.x[j * d + c] - inp.x[a * d + c]) ** 2;
    return Math.sqrt(s);
  };
  // n_rep first: sampling needs it.
  let nRep = 0;
  for (let k = 0; k < layout.k; k++) {
    const ev = layout.hitEvent[alpha[k]];
    for (let j = layout.eventHits[ev]; j < layout.eventHits[ev + 1]; j++) {
      if (layout.hitObj[j] !== k && dist(j, alpha[k]) < 1) nRep++;
    }
  }
  const sample = !!sampling && sampling.maxNRep > 0 && nRep > sampling.maxNRep;
  const prob = sample ? keepProbability(sampling!.maxNRep, nRep) : 1;
  let att = 0,
    rep = 0,
    cow = 0,
    noise = 0;
  for (let ev = 0; ev < layout.e; ev++) {
    const h0 = layout.eventHits[ev],
      h1 = layout.eventHits[ev + 1];
    const ne = h1 - h0;
    const ke = layout.eventObjs[ev + 1] - layout.eventObjs[ev];
    let a = 0,
      r = 0,
      c = 0;
    for (let k = layout.eventObjs[ev]; k < layout.eventObjs[ev + 1]; k++) {
      const ak = alpha[k];
      const nk = layout.objOffsets[k + 1] - layout.objOffsets[k];
      let sa = 0,
        sr = 0;
      for (let j = h0; j < h1; j++) {
        const dj = dist(j, ak);
        const wqq = w(j) * q[j] * q[ak];
        if (layout.hitObj[j] === k) sa += wqq * dj * dj;
        else if (dj < 1 && (!sample || pairUniform(sampling!.seed, j, k) < prob)) sr += (wqq * (1 - dj)) / prob;
      }
      a += sa / countPlusEps(nk);
      r += sr / countPlusEps(ne - nk);
      c += 1 - inp.beta[ak];
    }
    att += a / ke;
    rep += r / ke;
    cow += c / ke;
    if (layout.eventNoise[ev] > 0) {
      let s = 0;
      for (let j = h0; j < h1; j++) if (layout.hitObj[j] < 0) s += inp.beta[j];
      noise += s / layout.eventNoise[ev];
    }
  }
  return {
    attractive: att / layout.e,
    repulsive: rep / layout.e,
    coward: cow / layout.e,
    noise: layout.eventsWithNoise ? noise / layout.eventsWithNoise : NaN,
    nRep,
  };
}
