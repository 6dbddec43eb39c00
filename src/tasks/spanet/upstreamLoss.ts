/**
 * SPANet v2's training loss (jet_reconstruction_training.py training_step) on the host in f64:
 * the reference the GPU loss is to be checked against. Per event permutation σ, particle i's
 * prediction is scored against the target, mask and weight of particle σ(i) (so detection
 * targets are permuted too); assignment log-probabilities get + log|G_i| (the product group
 * size); the permutation with the least assignment + detection loss is kept (or the mean /
 * softmin over permutations); each particle's terms are summed over events and divided by the
 * number of events where the (permuted) particle is present; NaN regression targets are
 * masked; classification targets of -1 are ignored. The result is the mean of all terms.
 * Options: per-event balance weights (balance_particles / balance_jets, balance.ts) multiply
 * each event's combined terms; class weights (balance_classifications) weight the
 * cross-entropy; kl_loss_scale adds upstream's symmetric divergence term (add_kl_loss).
 */
import type { RegressionKind } from './eventSpec';

export interface UpstreamLossOptions {
  assignment_loss_scale: number;
  detection_loss_scale: number;
  regression_loss_scale: number;
  classification_loss_scale: number;
  focal_gamma: number;
  combine_pair_loss: string;
  /** upstream's kl_loss_scale (0: no term) */
  kl_loss_scale?: number;
}

export interface ParticleLossInput {
  name: string;
  /** log-probabilities [B, N^k] (first product most significant) */
  logp: ArrayLike<number>;
  /** size of the particle's product permutation group (upstream's num_targets) */
  numTargets: number;
  /** target jet indices [B, k]; -1 for missing */
  indices: ArrayLike<number>;
  k: number;
  mask: ArrayLike<number>;
  weight: ArrayLike<number>;
  /** detection logits [B] */
  detection: ArrayLike<number>;
}

export interface UpstreamLossInput {
  B: number;
  N: number;
  eventPerms: number[][];
  particles: ParticleLossInput[];
  regressions: { name: string; kind: RegressionKind; pred: ArrayLike<number>; target: ArrayLike<number>; std: number }[];
  classifications: { name: string; logits: ArrayLike<number>; C: number; target: ArrayLike<number>; classWeights?: ArrayLike<number> }[];
  /** [B] balance weight per event (upstream's particle × jet weights); 1 when absent */
  eventWeights?: ArrayLike<number>;
  /** the event group's transpositions (upstream's event_transpositions), for the KL term */
  transpositions?: [number, number][];
}

export interface UpstreamLoss {
  total: number;
  /** per particle, scaled (upstream logs these as loss/<p>/assignment_loss, detection_loss) */
  assignment: number[];
  detection: number[];
  /** per key, unscaled (as upstream logs them) */
  regression: Record<string, number>;
  classification: Record<string, number>;
  /** the symmetric divergence term, unscaled (upstream logs it as loss/symmetric_loss); null when not added */
  kl: number | null;
  /** index into eventPerms chosen per event */
  bestPermutation: number[];
}

const softplus = (x: number) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));

/** Upstream's event_transpositions: per group element, each cycle's smallest member with each other member. */
export function eventTranspositions(eventPerms: number[][]): [number, number][] {
  const pairs = new Map<string, [number, number]>();
  for (const g of eventPerms) {
    const done = new Set<number>();
    for (let start = 0; start < g.length; start++) {
      if (done.has(start)) continue;
      const cycle: number[] = [];
      for (let x = start; !done.has(x); x = g[x]) {
        done.add(x);
        cycle.push(x);
      }
      const first = Math.min(...cycle);
      for (const y of cycle) if (y !== first) pairs.set(`${first},${y}`, [first, y]);
    }
  }
  return [...pairs.values()].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
}

/** ln 2 as upstream's jensen_shannon_divergence writes it. */
export const UPSTREAM_LN2 = 0.69314718056;

/**
 * Upstream's jensen_shannon_divergence of two log-distributions over S entries: with
 * m = logaddexp(p, q) − ln 2, Σ (e^p (p − m) + e^q (q − m)) / 2 over the entries where both
 * are finite (upstream's nansum drops the others, where one side is −inf). Upstream detaches
 * p and q outside the mixture: pFixed / qFixed stand for those (the same values by default),
 * so that finite differences in p, q alone give upstream's gradient.
 */
export function jsDivergence(
  p: ArrayLike<number>,
  q: ArrayLike<number>,
  off: number,
  S: number,
  pFixed: ArrayLike<number> = p,
  qFixed: ArrayLike<number> = q,
): number {
  let s = 0;
  for (let i = off; i < off + S; i++) {
    const a = p[i],
      b = q[i];
    if (!(a > -Infinity && b > -Infinity)) continue;
    const hi = Math.max(a, b);
    const m = hi + Math.log(Math.exp(a - hi) + Math.exp(b - hi)) - UPSTREAM_LN2;
    const a0 = pFixed[i],
      b0 = qFixed[i];
    s += Math.exp(a0) * (a0 - m) + Math.exp(b0) * (b0 - m);
  }
  return s / 2;
}

/**
 * Upstream's add_kl_loss, unscaled: per event the mean over transpositions (i, j) of
 * exp(−div_ij²) where both permuted masks hold, times the event's weight; upstream sums its
 * [P, 2, B] weights times that and divides by the permuted masks' total, hence 2P.
 * logps [P][B·S_p]; fixed: the detached copies (see jsDivergence).
 */
export function symmetricKl(
  B: number,
  logps: ArrayLike<number>[],
  S: number[],
  permMask: ArrayLike<number>[],
  pairs: [number, number][],
  eventWeight: (b: number) => number,
  fixed: ArrayLike<number>[] = logps,
): number {
  const P = logps.length;
  let num = 0,
    den = 0;
  for (let b = 0; b < B; b++) {
    let t = 0;
    for (const [i, j] of pairs) {
      const div = jsDivergence(logps[i], logps[j], b * S[i], S[i], fixed[i], fixed[j]);
      t += permMask[i][b] && permMask[j][b] ? Math.exp(-(div * div)) : 0;
    }
    num += 2 * P * eventWeight(b) * (t / pairs.length);
    for (let p = 0; p < P; p++) den += permMask[p][b] ? 1 : 0;
  }
  return num / Math.max(1, den); // upstream: 0/0 = NaN, then "Symmetric KL Loss has diverged"
}

function regressionTerm(kind: RegressionKind, p: number, t: number, std: number): number {
  if (kind === 'laplacian') return Math.abs(p - t) / std;
  if (kind === 'log_gaussian') return (p - t) ** 2;
  return ((p - t) / std) ** 2;
}

export function upstreamLoss(x: UpstreamLossInput, o: UpstreamLossOptions): UpstreamLoss {
  const { B, N, eventPerms, particles } = x;
  const P = particles.length;
  const G = eventPerms.length;
  // [G][P][2][B]
  const L = eventPerms.map((sigma) =>
    particles.map((pred, i) => {
      const tgt = particles[sigma[i]];
      const S = N ** pred.k;
      const a = new Float64Array(B),
        d = new Float64Array(B);
      // upstream takes log(torch.scalar_tensor(num_targets)): a float32 value even in f64 runs
      const logOffset = Math.fround(Math.log(pred.numTargets));
      for (let b = 0; b < B; b++) {
        const m = tgt.mask[b] ? 1 : 0;
        let flat = 0;
        for (let j = 0; j < pred.k; j++) flat = flat * N + Math.max(0, tgt.indices[b * tgt.k + j]);
        const lp = m ? pred.logp[b * S + flat] + logOffset : 0;
        const focal = (1 - Math.exp(lp)) ** o.focal_gamma;
        a[b] = o.assignment_loss_scale * (-lp * focal * tgt.weight[b]);
        const z = pred.detection[b];
        d[b] = o.detection_loss_scale * tgt.weight[b] * (softplus(z) - z * m);
      }
      return [a, d];
    }),
  );
  const totals = eventPerms.map((_, g) =>
    Array.from({ length: B }, (_, b) => {
      let s = 0;
      for (let p = 0; p < P; p++) s += L[g][p][0][b] + L[g][p][1][b];
      return s;
    }),
  );
  const best = Array.from({ length: B }, (_, b) => {
    let gi = 0;
    for (let g = 1; g < G; g++) if (totals[g][b] < totals[gi][b]) gi = g; // torch.argmin: first minimum
    return gi;
  });
  const mode = o.combine_pair_loss.toLowerCase();
  const combined = (p: number, t: number, b: number): number => {
    if (mode === 'mean') return eventPerms.reduce((s, _, g) => s + L[g][p][t][b], 0) / G;
    if (mode === 'softmin') {
      const m = Math.min(...totals.map((r) => r[b]));
      const w = totals.map((r) => Math.exp(-(r[b] - m)));
      const z = w.reduce((s, v) => s + v, 0);
      return w.reduce((s, v, g) => s + (v / z) * L[g][p][t][b], 0);
    }
    return L[best[b]][p][t][b];
  };
  const assignment: number[] = [],
    detection: number[] = [];
  const ew = (b: number) => (x.eventWeights ? x.eventWeights[b] : 1);
  // the masks permuted by the chosen permutation, [P][B]
  const permMask = particles.map((_, p) => Array.from({ length: B }, (_, b) => (particles[eventPerms[best[b]][p]].mask[b] ? 1 : 0)));
  for (let p = 0; p < P; p++) {
    let sa = 0,
      sd = 0,
      present = 0;
    for (let b = 0; b < B; b++) {
      sa += ew(b) * combined(p, 0, b);
      sd += ew(b) * combined(p, 1, b);
      present += permMask[p][b];
    }
    const n = Math.max(1, present);
    assignment.push(sa / n);
    detection.push(sd / n);
  }
  const terms: number[] = [];
  if (o.assignment_loss_scale > 0) terms.push(...assignment);
  if (o.detection_loss_scale > 0) terms.push(...detection);
  let kl: number | null = null;
  const pairs = x.transpositions ?? [];
  if ((o.kl_loss_scale ?? 0) > 0 && pairs.length) {
    kl = symmetricKl(
      B,
      particles.map((p) => p.logp),
      particles.map((p) => N ** p.k),
      permMask,
      pairs,
      ew,
    );
    terms.push(o.kl_loss_scale! * kl);
  }
  const regression: Record<string, number> = {};
  for (const r of x.regressions) {
    let s = 0,
      n = 0;
    for (let b = 0; b < B; b++) {
      const t = r.target[b];
      if (Number.isNaN(t)) continue;
      s += regressionTerm(r.kind, r.pred[b], t, r.std);
      n++;
    }
    regression[r.name] = s / n; // NaN when a batch has no target, as upstream's mean of nothing
  }
  if (o.regression_loss_scale > 0) for (const r of x.regressions) terms.push(o.regression_loss_scale * regression[r.name]);
  const classification: Record<string, number> = {};
  for (const c of x.classifications) {
    let s = 0,
      wsum = 0;
    for (let b = 0; b < B; b++) {
      const y = c.target[b];
      if (y === -1) continue;
      let m = -Infinity;
      for (let j = 0; j < c.C; j++) m = Math.max(m, c.logits[b * c.C + j]);
      let z = 0;
      for (let j = 0; j < c.C; j++) z += Math.exp(c.logits[b * c.C + j] - m);
      const w = c.classWeights ? c.classWeights[y] : 1;
      s += w * (m + Math.log(z) - c.logits[b * c.C + y]);
      wsum += w;
    }
    classification[c.name] = s / wsum;
  }
  if (o.classification_loss_scale > 0) for (const c of x.classifications) terms.push(o.classification_loss_scale * classification[c.name]);
  const total = terms.reduce((s, v) => s + v, 0) / terms.length;
  return { total, assignment, detection, regression, classification, kl, bestPermutation: best };
}
