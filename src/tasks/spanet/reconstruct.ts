import type { EventSpec } from './eventSpec';

/**
 * SPANet's reconstruction: repeatedly take the most probable assignment of any particle
 * not yet placed whose jets are all still free, then remove those jets from every other
 * particle. Returns, per particle, its jets in product order (or null if none fit).
 * `probs[p]` is particle p's distribution over its flattened N^k space for one event.
 */
export function greedyAssignment(probs: ArrayLike<number>[], ks: number[], N: number): (number[] | null)[] {
  const result: (number[] | null)[] = probs.map(() => null);
  const used = new Uint8Array(N);
  const decode = (idx: number, k: number) => {
    const jets = new Array<number>(k);
    for (let a = k - 1; a >= 0; a--) {
      jets[a] = idx % N;
      idx = Math.floor(idx / N);
    }
    return jets;
  };
  for (let round = 0; round < probs.length; round++) {
    let best = -1,
      bestP = -1,
      bestIdx = -1;
    probs.forEach((dist, p) => {
      if (result[p]) return;
      for (let i = 0; i < dist.length; i++) {
        if (!(dist[i] > best)) continue;
        const jets = decode(i, ks[p]);
        if (jets.some((j) => used[j]) || new Set(jets).size !== jets.length) continue;
        best = dist[i];
        bestP = p;
        bestIdx = i;
      }
    });
    if (bestP < 0 || best <= 0) break;
    const jets = decode(bestIdx, ks[bestP]);
    result[bestP] = jets;
    for (const j of jets) used[j] = 1;
  }
  return result;
}

/** Canonical form of a product tuple under the particle's symmetries (sorted orbit representative). */
export function canonical(jets: number[], perms: number[][]): string {
  return perms.map((p) => p.map((src) => jets[src]).join(',')).sort()[0];
}

export interface EventMatch {
  /** particles with complete truth */
  complete: number;
  /** of those, correctly reconstructed (best event permutation) */
  correct: number;
  /** per particle slot, under that permutation: true / false, null when its truth is incomplete */
  perParticle: (boolean | null)[];
}

/** Compares a reconstruction with the truth up to product and event symmetries. */
export function matchEvent(pred: (number[] | null)[], truth: (number[] | null)[], spec: EventSpec): EventMatch {
  const complete = truth.filter((t) => t).length;
  let correct = -1;
  let perParticle: (boolean | null)[] = [];
  for (const sigma of spec.eventPerms) {
    const flags = spec.particles.map((p, i) => {
      const t = truth[sigma[i]];
      const q = pred[i];
      return t ? !!q && canonical(t, p.productPerms) === canonical(q, p.productPerms) : null;
    });
    const c = flags.filter((x) => x === true).length;
    if (c > correct) {
      correct = c;
      perParticle = flags;
    }
  }
  return { complete, correct, perParticle };
}
