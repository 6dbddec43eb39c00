/**
 * The tables of SPANet v2's `spanet.test` (test.py evaluate_predictions with
 * dataset/evaluator.py SymmetricEvaluator): for jet-count bins == min, == min+1, …,
 * ≥ min+lines and Full, and for every event type — the number of present particles of each
 * cluster of interchangeable particles (an orbit of the event group, named by the longest
 * common substring of its names, e.g. t1/t2 → t), or * for any — the event proportion, event
 * purity (every present particle right, up to the event group) and per-cluster purity (right
 * particles / present particles, best matching within the cluster). Products are sorted within
 * each orbit of the particle's group before comparing, as upstream does. Empty means are NaN.
 * `validation` adds what upstream's validation step logs on the same predictions: jet accuracy
 * i-of-j (jetAccuracy.ts) and, given detection probabilities, the detection metrics
 * (detectionMetrics.ts).
 */
import { detectionMetrics } from './detectionMetrics';
import type { EventSpec } from './eventSpec';
import { jetAccuracyMetrics } from './jetAccuracy';

export interface TestReportInput {
  spec: EventSpec;
  /** per particle: [E, k] predicted jet indices */
  predictions: ArrayLike<number>[];
  /** per particle: [E, k] target jet indices (-1 missing) */
  targets: ArrayLike<number>[];
  /** per particle: [E] 1 = present */
  masks: ArrayLike<number>[];
  /** [E] jets (vectors) per event */
  numVectors: ArrayLike<number>;
  /** equality lines before the ≥ line (upstream's --lines, default 2) */
  lines?: number;
  /** per particle: [E] target weights (TARGETS/<p>/WEIGHT; default 1) */
  weights?: ArrayLike<number>[];
  /** per particle: [E] detection probabilities (without them: no detection metrics) */
  detection?: ArrayLike<number>[];
  /** the event group in the order its first best permutation is chosen (see jetAccuracy.ts) */
  eventPermutations?: number[][];
}

export interface Cluster {
  name: string;
  particles: string[];
  indices: number[];
}

export interface TestReport {
  /** "== 6", "== 7", ">= 8", "Full" */
  jetLimits: string[];
  clusters: Cluster[];
  /** per jet limit: "<type>/event_purity", "<type>/event_proportion", "<type>/<cluster>_purity", "event_jet_proportion" */
  results: Record<string, Record<string, number>>;
  /** upstream's validation metrics under its names: jet/accuracy_i_of_j, particle/…, validation_accuracy, validation_average_jet_accuracy */
  validation: Record<string, number>;
  /** events evaluated */
  events: number;
}

/** All orbits (singletons included) in the order of their smallest element, as sympy's orbits(). */
function allOrbits(perms: number[][], n: number): number[][] {
  const seen = new Set<number>();
  const out: number[][] = [];
  for (let i = 0; i < n; i++) {
    if (seen.has(i)) continue;
    const o = [...new Set(perms.map((p) => p[i]))].sort((a, b) => a - b);
    o.forEach((j) => seen.add(j));
    out.push(o);
  }
  return out;
}

/** Upstream's longest_common_substring: longest first, leftmost in the (first) shortest name. */
export function longestCommonSubstring(names: string[]): string {
  if (!names.length) return '';
  const shortest = names.reduce((a, b) => (b.length < a.length ? b : a));
  for (let len = shortest.length; len > 0; len--) {
    for (let start = 0; start + len <= shortest.length; start++) {
      const c = shortest.slice(start, start + len);
      if (names.every((s) => s.includes(c))) return c;
    }
  }
  return '';
}

function* permutationsOf(n: number): Generator<number[]> {
  const a = Array.from({ length: n }, (_, i) => i);
  const rec = function* (k: number): Generator<number[]> {
    if (k === n) {
      yield [...a];
      return;
    }
    for (let i = k; i < n; i++) {
      [a[k], a[i]] = [a[i], a[k]];
      yield* rec(k + 1);
      [a[k], a[i]] = [a[i], a[k]];
    }
  };
  yield* rec(0);
}

interface Rows {
  pred: number[][][];
  tgt: number[][][];
  mask: number[][];
} // [particle][event][k]

const mean = (xs: number[]) => (xs.length ? xs.reduce((s, v) => s + v, 0) / xs.length : NaN);
const sameJets = (a: number[], b: number[]) => a.every((v, i) => v === b[i]);

function eventPurity(spec: EventSpec, r: Rows, E: number): number {
  const P = spec.particles.length;
  const acc: number[] = [];
  for (let e = 0; e < E; e++) {
    let best = 0;
    for (const perm of spec.eventPerms) {
      let a = 0;
      for (let p = 0; p < P; p++) a += sameJets(r.pred[p][e], r.tgt[perm[p]][e]) ? r.mask[perm[p]][e] : 0;
      best = Math.max(best, a);
    }
    let present = 0;
    for (let p = 0; p < P; p++) present += r.mask[p][e];
    acc.push(best === present ? 1 : 0);
  }
  return mean(acc);
}

function clusterPurity(c: Cluster, r: Rows, E: number): number {
  let right = 0,
    present = 0;
  for (let e = 0; e < E; e++) {
    let best = 0;
    for (const perm of permutationsOf(c.indices.length)) {
      let a = 0;
      c.indices.forEach((p, i) => {
        const q = c.indices[perm[i]];
        a += sameJets(r.pred[p][e], r.tgt[q][e]) ? r.mask[q][e] : 0;
      });
      best = Math.max(best, a);
    }
    right += best;
    for (const p of c.indices) present += r.mask[p][e];
  }
  return present > 0 ? right / present : NaN;
}

export function spanetTestReport(x: TestReportInput): TestReport {
  const { spec } = x;
  const P = spec.particles.length;
  const E = x.numVectors.length;
  const lines = x.lines ?? 2;
  const clusters: Cluster[] = allOrbits(spec.eventPerms, P).map((o) => {
    const particles = o.map((i) => spec.particles[i].name);
    return { name: longestCommonSubstring(particles), particles, indices: o };
  });
  // rows with products sorted within each orbit of the particle's group
  const sorted = (src: ArrayLike<number>[]): number[][][] =>
    spec.particles.map((p, pi) => {
      const k = p.products.length;
      const orbits = allOrbits(p.productPerms, k);
      return Array.from({ length: E }, (_, e) => {
        const row = Array.from({ length: k }, (_, j) => src[pi][e * k + j]);
        for (const o of orbits) {
          const vals = o.map((j) => row[j]).sort((a, b) => a - b);
          o.forEach((j, i) => {
            row[j] = vals[i];
          });
        }
        return row;
      });
    });
  const all: Rows = {
    pred: sorted(x.predictions),
    tgt: sorted(x.targets),
    mask: spec.particles.map((_, pi) => Array.from({ length: E }, (_, e) => (x.masks[pi][e] ? 1 : 0))),
  };
  let minJets = Infinity;
  for (let e = 0; e < E; e++) minJets = Math.min(minJets, x.numVectors[e]);
  const jetLimits = [...Array.from({ length: lines }, (_, i) => `== ${minJets + i}`), `>= ${minJets + lines}`, 'Full'];
  const results: Record<string, Record<string, number>> = {};
  for (const limit of jetLimits) {
    const keep: number[] = [];
    for (let e = 0; e < E; e++) {
      const n = x.numVectors[e];
      if (limit === 'Full' || (limit.startsWith('==') ? n === Number(limit.slice(3)) : n >= Number(limit.slice(3)))) keep.push(e);
    }
    const sub: Rows = {
      pred: all.pred.map((rows) => keep.map((e) => rows[e])),
      tgt: all.tgt.map((rows) => keep.map((e) => rows[e])),
      mask: all.mask.map((rows) => keep.map((e) => rows[e])),
    };
    const n = keep.length;
    const total = Array.from({ length: n }, (_, e) => sub.mask.reduce((s, m) => s + m[e], 0));
    const perCluster = clusters.map((c) => Array.from({ length: n }, (_, e) => c.indices.reduce((s, p) => s + sub.mask[p][e], 0)));
    const out: Record<string, number> = {};
    // every combination of per-cluster counts -1 (any, with at least one particle) .. cluster size
    const combos: number[][] = clusters.reduce<number[][]>(
      (acc, c) => acc.flatMap((pre) => Array.from({ length: c.indices.length + 2 }, (_, v) => [...pre, v - 1])),
      [[]],
    );
    for (const counts of combos) {
      const sel: number[] = [];
      for (let e = 0; e < n; e++) {
        let ok = total[e] >= 0;
        counts.forEach((cnt, ci) => {
          ok = ok && (cnt >= 0 ? perCluster[ci][e] === cnt : total[e] > 0);
        });
        if (ok) sel.push(e);
      }
      const m: Rows = {
        pred: sub.pred.map((rows) => sel.map((e) => rows[e])),
        tgt: sub.tgt.map((rows) => sel.map((e) => rows[e])),
        mask: sub.mask.map((rows) => sel.map((e) => rows[e])),
      };
      const type = counts.map((cnt, ci) => `${cnt < 0 ? '*' : cnt}${clusters[ci].name}`).join('');
      out[`${type}/event_purity`] = eventPurity(spec, m, sel.length);
      out[`${type}/event_proportion`] = n ? sel.length / n : NaN;
      clusters.forEach((c) => {
        out[`${type}/${c.name}_purity`] = clusterPurity(c, m, sel.length);
      });
    }
    out.event_jet_proportion = limit === 'Full' ? 1 : E ? n / E : NaN;
    results[limit] = out;
  }
  const jets = jetAccuracyMetrics(x);
  const validation = x.detection ? { ...jets.metrics, ...detectionMetrics(jets.permutedMasks, x.detection) } : jets.metrics;
  return { jetLimits, clusters, results, validation, events: E };
}
