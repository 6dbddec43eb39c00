/**
 * SPANet v2's validation metrics of assignments (JetReconstructionValidation.compute_metrics
 * with validation_step's product sort): per event, over the event group, the most particles
 * whose predicted jets all equal the target's (the mask is not consulted, so a target of -1
 * never matches), the most particles whose detection (probability ≥ 0.5) equals the target
 * mask, and the first permutation with the most right jets, which permutes the masks the
 * detection metrics compare against. Then
 *   jet/accuracy_i_of_j        over events with j present particles: share with ≥ i right
 *   particle/accuracy_i_of_j   the same for detections
 *   validation_accuracy        jet/accuracy_P_of_P
 *   validation_average_jet_accuracy
 *                              mean over events with Σ mask·weight > 0 of (most particles right
 *                              with a non-zero weight) / Σ mask·weight (upstream counts in a
 *                              bool array, so the weight only decides zero or not)
 * Empty means are NaN, as numpy's.
 */
import type { EventSpec } from './eventSpec';

export interface JetAccuracyInput {
  spec: EventSpec;
  /** per particle: [E, k] predicted jets */
  predictions: ArrayLike<number>[];
  /** per particle: [E, k] target jets (-1 missing) */
  targets: ArrayLike<number>[];
  /** per particle: [E] 1 = present */
  masks: ArrayLike<number>[];
  /** per particle: [E] target weights (default 1) */
  weights?: ArrayLike<number>[];
  /** per particle: [E] detection probabilities; without them no particle/ metrics */
  detection?: ArrayLike<number>[];
  /**
   * The event group in the order its first best permutation is chosen (default spec.eventPerms:
   * identity first, then lexicographic; upstream iterates a Python set, in hash-seed order).
   */
  eventPermutations?: number[][];
}

export interface JetAccuracyResult {
  metrics: Record<string, number>;
  /** per particle: [E] the mask of the particle the chosen permutation maps it to */
  permutedMasks: Uint8Array[];
}

/**
 * validation_step sorts products before compute_metrics only for a generator of several
 * cycles (`[[a, b], [c, d]]`), each cycle on its own; a single cycle (`[q1, q2]`) is left
 * as it is, so a prediction with q1 and q2 exchanged counts as wrong here.
 */
function sortedRows(spec: EventSpec, rows: ArrayLike<number>[], E: number): Int32Array[] {
  return spec.particles.map((p, pi) => {
    const k = p.products.length;
    const out = Int32Array.from(rows[pi] as ArrayLike<number>);
    const cycles = p.productGenerators.filter((g) => g.length > 1).flatMap((g) => g.map((c) => c.map((n) => p.products.indexOf(n))));
    for (let e = 0; e < E; e++) {
      for (const c of cycles) {
        const vals = c.map((j) => out[e * k + j]).sort((a, b) => a - b);
        c.forEach((j, i) => {
          out[e * k + j] = vals[i];
        });
      }
    }
    return out;
  });
}

const share = (hits: number, n: number) => (n > 0 ? hits / n : NaN);

export function jetAccuracyMetrics(x: JetAccuracyInput): JetAccuracyResult {
  const { spec } = x;
  const P = spec.particles.length;
  const E = x.masks[0]?.length ?? 0;
  const ks = spec.particles.map((p) => p.products.length);
  const group = x.eventPermutations ?? spec.eventPerms;
  const pred = sortedRows(spec, x.predictions, E);
  const tgt = sortedRows(spec, x.targets, E);
  const mask = (p: number, e: number) => (x.masks[p][e] ? 1 : 0);
  const weight = (p: number, e: number) => (x.weights ? x.weights[p][e] : 1);
  const detected = (p: number, e: number) => (x.detection![p][e] >= 0.5 ? 1 : 0);
  const right = (p: number, q: number, e: number) => {
    for (let a = 0; a < ks[p]; a++) if (pred[p][e * ks[p] + a] !== tgt[q][e * ks[q] + a]) return false;
    return true;
  };
  const jetBest = new Int32Array(E),
    weightedBest = new Int32Array(E),
    particleBest = new Int32Array(E);
  const permutedMasks = spec.particles.map(() => new Uint8Array(E));
  for (let e = 0; e < E; e++) {
    let best = -1,
      chosen = 0;
    for (let g = 0; g < group.length; g++) {
      const perm = group[g];
      let jets = 0,
        weighted = 0,
        particles = 0;
      for (let p = 0; p < P; p++) {
        const ok = right(p, perm[p], e);
        if (ok) jets++;
        // numpy: bool(all_equal * weight), so 0 · NaN counts too
        if ((ok ? 1 : 0) * weight(perm[p], e) !== 0) weighted++;
        if (x.detection && mask(perm[p], e) === detected(p, e)) particles++;
      }
      if (jets > best) {
        best = jets;
        chosen = g;
      }
      weightedBest[e] = Math.max(weightedBest[e], weighted);
      particleBest[e] = Math.max(particleBest[e], particles);
    }
    jetBest[e] = best;
    for (let p = 0; p < P; p++) permutedMasks[p][e] = mask(group[chosen][p], e);
  }
  const present = new Int32Array(E);
  const totalWeight = new Float64Array(E);
  for (let e = 0; e < E; e++) {
    for (let p = 0; p < P; p++) {
      present[e] += mask(p, e);
      totalWeight[e] += mask(p, e) * weight(p, e);
    }
  }
  const metrics: Record<string, number> = {};
  const iOfJ = (prefix: string, best: Int32Array) => {
    for (let j = 1; j <= P; j++) {
      for (let i = 1; i <= j; i++) {
        let n = 0,
          hits = 0;
        for (let e = 0; e < E; e++) {
          if (present[e] !== j) continue;
          n++;
          if (best[e] >= i) hits++;
        }
        metrics[`${prefix}/accuracy_${i}_of_${j}`] = share(hits, n);
      }
    }
  };
  iOfJ('jet', jetBest);
  if (x.detection) iOfJ('particle', particleBest);
  metrics.validation_accuracy = metrics[`jet/accuracy_${P}_of_${P}`];
  let sum = 0,
    n = 0;
  for (let e = 0; e < E; e++) {
    if (!(totalWeight[e] > 0)) continue;
    sum += weightedBest[e] / totalWeight[e];
    n++;
  }
  metrics.validation_average_jet_accuracy = share(sum, n);
  return { metrics, permutedMasks };
}
