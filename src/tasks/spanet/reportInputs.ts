import type { EventSpec } from './eventSpec';
import type { PreparedData } from './prepare';

/** The target side of spanetTestReport for some events of prepared data. */
export interface ReportTargets {
  /** per particle: [E, k] target jets (-1 missing) */
  targets: number[][];
  /** per particle: [E] 1 = present */
  masks: number[][];
  /** per particle: [E] TARGETS/<p>/WEIGHT (1 without) */
  weights: number[][];
  /** [E] vectors per event as upstream's dataset counts them: jets + one per global input */
  numVectors: number[];
}

export function reportTargets(d: PreparedData, spec: EventSpec, events: ArrayLike<number>): ReportTargets {
  const P = spec.particles.length;
  const out: ReportTargets = {
    targets: spec.particles.map(() => []),
    masks: spec.particles.map(() => []),
    weights: spec.particles.map(() => []),
    numVectors: [],
  };
  for (let i = 0; i < events.length; i++) {
    const ev = events[i];
    spec.particles.forEach((p, pi) => {
      for (let a = 0; a < p.products.length; a++) out.targets[pi].push(d.truth[(ev * P + pi) * 3 + a]);
      out.masks[pi].push(d.present[ev * P + pi]);
      out.weights[pi].push(d.weights[ev * P + pi]);
    });
    out.numVectors.push(d.nJets[ev] + d.globalSlices.length);
  }
  return out;
}
