/**
 * Tiger's max_n_rep: with n_rep > max_n_rep each repulsive pair is kept with probability
 * p = max_n_rep / n_rep (hash of seed, hit, object) and up-weighted by 1/p.
 */
import { describe, expect, it } from 'vitest';
import { expectClose } from '../helpers/opcheck';
import { testEngine } from '../helpers/engine';
import { pairUniform, keepProbability } from '../../src/losses/oc/sampling';
import { randomEvent } from './events';
import { finiteDifferences, gpuLoss, hostLayout, maxAbs, refValues } from './check';

const ev = randomEvent(77, { n: 80, d: 2, idLo: 0, idHi: 10, spread: 0.8, weights: true });

describe('tiger max_n_rep sampling', () => {
  it('the GPU keeps the same pairs as the reference (same hash), in value and gradient', async () => {
    const e = await testEngine();
    const full = refValues(ev);
    expect(full.nRep).toBeGreaterThan(300);
    const sampling = { maxNRep: Math.round(full.nRep / 4), seed: 5 };
    const r = refValues(ev, sampling);
    expect(Math.abs(r.repulsive - full.repulsive)).toBeGreaterThan(1e-4 * full.repulsive); // sampling is active
    const seed = [1, 1, 1, 1];
    const got = await gpuLoss(e, ev, 'fused', seed, sampling);
    expect(got.nRep).toBe(full.nRep); // n_rep counts pairs before sampling
    expectClose(got.values, [r.attractive, r.repulsive, r.coward, r.noise], 2e-5, 0, 'sampled values');
    const fd = finiteDifferences(ev, seed, sampling);
    const scale = Math.max(maxAbs(fd.dBeta), maxAbs(fd.dX));
    expectClose(got.dBeta!, fd.dBeta, 1e-4, 2e-5 * scale, 'sampled d/dbeta');
    expectClose(got.dX!, fd.dX, 1e-4, 2e-5 * scale, 'sampled d/dx');
  });

  it('max_n_rep ≥ n_rep (or 0) leaves the loss unchanged', async () => {
    const e = await testEngine();
    const full = refValues(ev);
    const plain = await gpuLoss(e, ev, 'fused');
    for (const maxNRep of [full.nRep, full.nRep + 10]) {
      const got = await gpuLoss(e, ev, 'fused', undefined, { maxNRep, seed: 1 });
      expect(Array.from(got.values)).toEqual(Array.from(plain.values));
    }
  });

  it('is unbiased, and keeps the expected fraction of pairs', () => {
    // Over M seeds: |mean of sampled repulsive - exact| < 4 standard errors, and the kept
    // fraction of the n_rep pairs within 4 binomial standard deviations of p.
    const full = refValues(ev);
    const maxNRep = Math.round(full.nRep / 5);
    const p = keepProbability(maxNRep, full.nRep);
    const M = 60;
    const reps: number[] = [];
    let kept = 0;
    const layout = hostLayout(ev);
    const pairs: [number, number][] = [];
    // the pairs at distance < 1 (membership by object index, condensation points from q)
    const q = Array.from(ev.beta, (b) => Math.atanh(b) ** 2 + ev.qMin);
    for (let k = 0; k < layout.k; k++) {
      let a = -1;
      for (let i = layout.objOffsets[k]; i < layout.objOffsets[k + 1]; i++) {
        const j = layout.members[i];
        if (a < 0 || q[j] > q[a]) a = j;
      }
      for (let j = 0; j < layout.n; j++) {
        if (layout.hitObj[j] === k) continue;
        const d = Math.hypot(ev.x[2 * j] - ev.x[2 * a], ev.x[2 * j + 1] - ev.x[2 * a + 1]);
        if (d < 1) pairs.push([j, k]);
      }
    }
    expect(pairs.length).toBe(full.nRep);
    for (let s = 0; s < M; s++) {
      reps.push(refValues(ev, { maxNRep, seed: s }).repulsive);
      kept += pairs.filter(([j, k]) => pairUniform(s, j, k) < p).length;
    }
    const mean = reps.reduce((a, b) => a + b, 0) / M;
    const sd = Math.sqrt(reps.reduce((a, b) => a + (b - mean) ** 2, 0) / (M - 1));
    expect(sd).toBeGreaterThan(0);
    expect(Math.abs(mean - full.repulsive)).toBeLessThan((4 * sd) / Math.sqrt(M));
    const trials = M * full.nRep;
    expect(Math.abs(kept / trials - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / trials));
  });
});
