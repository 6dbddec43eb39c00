/**
 * SPANet v2's balance weights from the training events (jet_reconstruction_dataset.py
 * compute_particle_balance / compute_vector_balance / compute_classification_balance, the
 * effective-number weights of arXiv:1901.05555): counted slice by slice (add), so a streamed
 * pass over the training events gives the same weights as the whole set at once.
 *
 *   particles  per equivalence class of present-particle sets under the event group (every
 *              event is in the class of exactly its present set), count + 1, β = 1 − 1/E,
 *              w = (1 − β)/(1 − β^count), scaled to classes · w / Σ w; indexed by the set's
 *              bit mask (bit p = particle p present), upstream's particle_weights_tensor
 *   vectors    per vector count (jets + one per global input): w as above with β = 1 − 1/E,
 *              0 for counts no event has, scaled to (max − min + 1) · w / Σ w
 *   classes    per classification: per class 0..max as vectors, scaled to (max + 1) · w / Σ w
 *
 * Upstream computes the last two in float32 and the first in float64; these are float64.
 */
import type { EventSpec } from './eventSpec';
import type { SpanetOptions } from './options';
import type { PreparedData } from './prepare';

export interface BalanceWeights {
  /** [2^P] by present-set bit mask */
  particles: Float64Array;
  /** by vector count, 0..max */
  vectors: Float64Array;
  /** per classification (spec order): by class, 0..max label */
  classes: Float64Array[];
}

/** Which weights the loss takes: upstream's JetReconstructionBase (balance_particles only with partial_events). */
export interface BalanceUse {
  particles: boolean;
  jets: boolean;
  classifications: boolean;
}

export function balanceUse(o: SpanetOptions): BalanceUse {
  return {
    particles: !!o.balance_particles && !!o.partial_events,
    jets: !!o.balance_jets,
    classifications: !!o.balance_classifications,
  };
}

/** Orbits of the subsets of P particles (as bit masks) under the event permutation group. */
export function equivalenceClasses(P: number, eventPerms: number[][]): number[][] {
  const seen = new Set<number>();
  const classes: number[][] = [];
  for (let s = 0; s < 1 << P; s++) {
    if (seen.has(s)) continue;
    const orbit = new Set<number>();
    for (const g of eventPerms) {
      let image = 0;
      for (let p = 0; p < P; p++) if (s & (1 << p)) image |= 1 << g[p];
      orbit.add(image);
    }
    const members = [...orbit].sort((a, b) => a - b);
    members.forEach((m) => seen.add(m));
    classes.push(members);
  }
  return classes;
}

/** (1 − β)/(1 − β^n), 0 where n = 0 (upstream: inf, then set to 0). */
const effective = (beta: number, n: number) => (n > 0 ? (1 - beta) / (1 - beta ** n) : 0);

export class BalanceCounter {
  private events = 0;
  private readonly sets: Float64Array;
  private readonly vectorCounts: number[] = [];
  private readonly classCounts: number[][];
  private readonly P: number;

  constructor(readonly spec: EventSpec) {
    this.P = spec.particles.length;
    if (this.P > 20) throw new Error(`balance: ${this.P} particles (2^P present sets) is too many`);
    this.sets = new Float64Array(1 << this.P);
    this.classCounts = spec.classifications.map(() => []);
  }

  /** Counts events [start, end) of d. */
  add(d: PreparedData, start: number, end: number): void {
    const P = this.P,
      C = this.spec.classifications.length;
    const globals = d.globalSlices.length;
    for (let e = start; e < end; e++) {
      let mask = 0;
      for (let p = 0; p < P; p++) if (d.present[e * P + p]) mask |= 1 << p;
      this.sets[mask]++;
      const v = d.nJets[e] + globals;
      this.vectorCounts[v] = (this.vectorCounts[v] ?? 0) + 1;
      for (let c = 0; c < C; c++) {
        const y = d.classes[e * C + c];
        // upstream's bincount refuses -1 (no class); such events are left out of the counts
        if (y >= 0) this.classCounts[c][y] = (this.classCounts[c][y] ?? 0) + 1;
      }
    }
    this.events += end - start;
  }

  get count(): number {
    return this.events;
  }

  weights(): BalanceWeights {
    const E = this.events;
    if (E < 1) throw new Error('balance: no training events counted');
    const classes = equivalenceClasses(this.P, this.spec.eventPerms);
    // upstream: 1 - 10 ** -log10(E), i.e. 1 - 1/E up to rounding
    const betaP = 1 - 10 ** -Math.log10(E);
    const classW = classes.map((members) => effective(betaP, members.reduce((s, m) => s + this.sets[m], 0) + 1));
    const norm = classW.reduce((s, w) => s + w, 0);
    const particles = new Float64Array(1 << this.P);
    classes.forEach((members, i) => members.forEach((m) => (particles[m] = (classes.length * classW[i]) / norm)));
    const beta = 1 - 1 / E;
    const byCount = (counts: number[], scale: (nonzero: number[]) => number) => {
      const w = Float64Array.from({ length: counts.length }, (_, k) => effective(beta, counts[k] ?? 0));
      const sum = w.reduce((s, x) => s + x, 0);
      const present = [...counts.keys()].filter((k) => (counts[k] ?? 0) > 0);
      const f = scale(present) / sum;
      return w.map((x) => x * f);
    };
    const vectors = byCount(this.vectorCounts, (k) => Math.max(...k) - Math.min(...k) + 1);
    const cls = this.classCounts.map((counts) => byCount(counts, () => counts.length));
    return { particles, vectors, classes: cls };
  }
}

/** The weights of events [start, end) of d in one pass (the in-memory run: its training range). */
export function balanceWeights(spec: EventSpec, d: PreparedData, start = 0, end = d.trainEvents): BalanceWeights {
  const c = new BalanceCounter(spec);
  c.add(d, start, end);
  return c.weights();
}

/**
 * Per batch slot: the particle weight of its present set times the vector-count weight (each
 * when used), 0 on padding slots. present [B·P] (−1 on padding), vectors [B].
 */
export function slotWeights(
  w: BalanceWeights,
  use: BalanceUse,
  P: number,
  present: ArrayLike<number>,
  vectors: ArrayLike<number>,
): Float32Array {
  const B = vectors.length;
  const out = new Float32Array(B);
  for (let b = 0; b < B; b++) {
    if (present[b * P] < 0) continue;
    let mask = 0;
    for (let p = 0; p < P; p++) if (present[b * P + p] > 0) mask |= 1 << p;
    // a vector count beyond the training events' (upstream: an index error) weighs 0
    out[b] = (use.particles ? w.particles[mask] : 1) * (use.jets ? (w.vectors[vectors[b]] ?? 0) : 1);
  }
  return out;
}

/** Class weights over C classes (the head's size): upstream's, then 0 for classes beyond the training events' largest. */
export function classWeightsFor(w: Float64Array, C: number): Float32Array {
  const out = new Float32Array(C);
  out.set(w.subarray(0, C));
  return out;
}
