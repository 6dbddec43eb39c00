import type { RefTensor } from '../registry';

export interface AssignmentLossAttrs {
  /** events */
  B: number;
  /** particles */
  P: number;
  /** elements of the event-level permutation group */
  G: number;
}

/**
 * inputs: targets [G, B, P] (flat index per particle, -1 masked), then logp_p [B, S_p] per
 * particle. Mean over counted events of min over σ of the summed negative log-likelihoods.
 */
export function assignmentNllRef(inputs: RefTensor[], at: AssignmentLossAttrs): RefTensor {
  const [targets, ...logps] = inputs;
  const { B, P, G } = at;
  let num = 0;
  let den = 0;
  for (let b = 0; b < B; b++) {
    let best = Infinity;
    let counted = false;
    for (let g = 0; g < G; g++) {
      let s = 0;
      for (let p = 0; p < P; p++) {
        const t = targets.data[(g * B + b) * P + p];
        if (t < 0) continue;
        counted = true;
        const S = logps[p].shape[1];
        s -= logps[p].data[b * S + t];
      }
      best = Math.min(best, s);
    }
    if (counted) {
      num += best;
      den += 1;
    }
  }
  return { data: new Float64Array([den > 0 ? num / den : 0]), shape: [] };
}

/** Fraction of unmasked particles whose target has the row's top probability (best σ per event). */
export function assignmentAccuracyRef(inputs: RefTensor[], at: AssignmentLossAttrs): number {
  const [targets, ...logps] = inputs;
  const { B, P, G } = at;
  let hits = 0;
  let valid = 0;
  for (let b = 0; b < B; b++) {
    let best = 0;
    let v = 0;
    for (let g = 0; g < G; g++) {
      let s = 0;
      v = 0;
      for (let p = 0; p < P; p++) {
        const t = targets.data[(g * B + b) * P + p];
        if (t < 0) continue;
        v++;
        const S = logps[p].shape[1];
        const row = logps[p].data.subarray(b * S, b * S + S);
        if (row[t] >= Math.max(...row)) s++;
      }
      best = Math.max(best, s);
    }
    hits += best;
    valid += v;
  }
  return valid > 0 ? hits / valid : 0;
}
