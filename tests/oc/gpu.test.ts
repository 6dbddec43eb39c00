/**
 * The WGSL loss (fused and dense) against the f64 reference, in value and gradient, on random
 * events covering the corner cases of the definitions.
 *
 * Tolerances (f32): each term is a sum of O(N·K) products of O(1) factors; with f32 rounding
 * (2^-24 ≈ 6e-8 per operation) and sqrt/log in WGSL (a few ulp), sums of ≲ 10^4 terms stay
 * within ~1e-6 relative in practice; we allow rtol 2e-5 (the issue's ~1e-5 scale). Gradients
 * are compared with central differences of the f64 reference (error ~1e-9), with atol
 * 2e-5·max|grad| + rtol 1e-4: one gradient entry sums K pair terms whose f32 errors add up.
 */
import { describe, expect, it } from 'vitest';
import { expectClose } from '../helpers/opcheck';
import { testEngine } from '../helpers/engine';
import { randomEvent, type EventShape, type OcEvent } from './events';
import { finiteDifferences, gpuLoss, maxAbs, refValues, type Impl } from './check';

const VALUE_RTOL = 2e-5;
const GRAD_RTOL = 1e-4;
const GRAD_ATOL_REL = 2e-5;

function expectValues(got: ArrayLike<number>, ev: OcEvent, what: string) {
  const r = refValues(ev);
  const want = [r.attractive, r.repulsive, r.coward, r.noise];
  if (Number.isNaN(want[3])) expect(Number.isNaN(got[3]), `${what}: noise should be NaN`).toBe(true);
  const idx = Number.isNaN(want[3]) ? [0, 1, 2] : [0, 1, 2, 3];
  expectClose(
    idx.map((i) => got[i]),
    idx.map((i) => want[i]),
    VALUE_RTOL,
    1e-7 * Math.max(1, maxAbs(idx.map((i) => want[i]))),
    what,
  );
}

async function expectGradients(ev: OcEvent, impl: Impl, seed: number[], what: string, onlyX = false) {
  const e = await testEngine();
  const gpu = await gpuLoss(e, ev, impl, seed);
  const fd = finiteDifferences(ev, seed);
  const scale = Math.max(maxAbs(fd.dBeta), maxAbs(fd.dX), 1e-3);
  if (!onlyX) expectClose(gpu.dBeta!, fd.dBeta, GRAD_RTOL, GRAD_ATOL_REL * scale, `${what} d/dbeta`);
  expectClose(gpu.dX!, fd.dX, GRAD_RTOL, GRAD_ATOL_REL * scale, `${what} d/dx`);
}

const CASES: [string, EventShape][] = [
  ['plain, noise id 0', { n: 60, d: 3, idLo: 0, idHi: 8 }],
  ['weights', { n: 50, d: 2, idLo: 0, idHi: 6, weights: true }],
  ['single-hit objects', { n: 30, d: 2, idLo: 0, idHi: 40 }],
  ['no noise', { n: 40, d: 3, idLo: 1, idHi: 7 }],
  ['negative ids, threshold -2', { n: 48, d: 2, idLo: -4, idHi: 5, noiseThreshold: -2 }],
  ['threshold 3', { n: 48, d: 4, idLo: 0, idHi: 9, noiseThreshold: 3, weights: true }],
  ['dense latent space', { n: 50, d: 2, idLo: 0, idHi: 5, spread: 0.6 }],
  ['q_min 0', { n: 40, d: 3, idLo: 0, idHi: 6, qMin: 0 }],
  ['3 packed events', { n: 72, d: 2, idLo: 0, idHi: 6, events: 3, weights: true }],
];

describe('object condensation loss on the GPU vs the f64 reference', () => {
  for (const [name, shape] of CASES) {
    it(`values and gradients: ${name}`, async () => {
      const e = await testEngine();
      const ev = randomEvent(name.length * 7 + 1, shape);
      const seed = [0.7, 1.3, 0.9, Number.isNaN(refValues(ev).noise) ? 0 : 1.1];
      for (const impl of ['fused', 'dense'] as const) {
        const got = await gpuLoss(e, ev, impl);
        expectValues(got.values, ev, `${name} ${impl}`);
        await expectGradients(ev, impl, seed, `${name} ${impl}`);
      }
    });
  }

  it('each term separately (one-hot seeds)', async () => {
    const ev = randomEvent(5, { n: 40, d: 2, idLo: 0, idHi: 6, weights: true, spread: 1 });
    for (let t = 0; t < 4; t++) {
      const seed = [0, 0, 0, 0];
      seed[t] = 1;
      await expectGradients(ev, 'fused', seed, `term ${t}`);
    }
  });

  it('ties pick the lowest hit index; gradient flows through x of the chosen point', async () => {
    const e = await testEngine();
    const ev = randomEvent(11, { n: 40, d: 2, idLo: 0, idHi: 4 });
    ev.beta.fill(Math.fround(0.5)); // every member ties
    for (let j = 0; j < 40; j += 3) ev.beta[j] = -Math.fround(0.5); // -β has the same q
    const r = refValues(ev);
    for (const impl of ['fused', 'dense'] as const) {
      expectValues((await gpuLoss(e, ev, impl)).values, ev, `ties ${impl}`);
      // β perturbations break ties, so only the x gradient is defined by finite differences
      await expectGradients(ev, impl, [1, 1, 0, 1], `ties ${impl}`, true);
    }
    expect(r.coward).toBeGreaterThan(0);
  });

  it('zero distance: hits on top of a condensation point get a zero hinge gradient', async () => {
    const e = await testEngine();
    const ev = randomEvent(3, { n: 30, d: 2, idLo: 0, idHi: 3 });
    // put hit 29 exactly on the condensation point of another object, and a member on its own
    const r = refValues(ev);
    expect(r.attractive).toBeGreaterThan(0);
    const layoutQ = ev.beta.map((b) => Math.atanh(b) ** 2);
    let alpha = -1;
    for (let j = 0; j < 30; j++) if (ev.objectId[j] === 1 && (alpha < 0 || layoutQ[j] > layoutQ[alpha])) alpha = j;
    const other = ev.objectId.findIndex((id, j) => id === 2 && j !== alpha);
    ev.x[other * 2] = ev.x[alpha * 2];
    ev.x[other * 2 + 1] = ev.x[alpha * 2 + 1];
    const got = await gpuLoss(e, ev, 'fused', [0, 1, 0, 0]);
    const dense = await gpuLoss(e, ev, 'dense', [0, 1, 0, 0]);
    expect(Array.from(got.dX!.slice(other * 2, other * 2 + 2)).every(Number.isFinite)).toBe(true);
    expectClose(got.dX!, dense.dX!, 1e-4, 1e-6 * maxAbs(dense.dX!), 'fused vs dense at d = 0');
    expectValues(got.values, ev, 'zero distance');
  });

  it('beta = 1 is clamped to the largest f32 below 1 (finite loss, upstream would give NaN)', async () => {
    const e = await testEngine();
    const ev = randomEvent(4, { n: 30, d: 2, idLo: 0, idHi: 3 });
    ev.beta[0] = 1;
    ev.beta[1] = 1 - 2 ** -24;
    const got = await gpuLoss(e, ev, 'fused', [1, 1, 1, 1]);
    expect(Array.from(got.values).every(Number.isFinite)).toBe(true);
    expectValues(got.values, ev, 'beta = 1');
    expect(Array.from(got.dBeta!).every(Number.isFinite)).toBe(true);
  });

  it('fused (tiger) equals dense on a larger event with 4 packed events', async () => {
    const e = await testEngine();
    const ev = randomEvent(21, { n: 600, d: 3, idLo: -1, idHi: 40, events: 4, weights: true, spread: 1.2 });
    const seed = [1, 1, 1, 1];
    const a = await gpuLoss(e, ev, 'fused', seed);
    const b = await gpuLoss(e, ev, 'dense', seed);
    expectClose(a.values, b.values, VALUE_RTOL, 0, 'values');
    expectClose(a.dBeta!, b.dBeta!, 1e-4, 1e-5 * maxAbs(b.dBeta!), 'd/dbeta');
    expectClose(a.dX!, b.dX!, 1e-4, 1e-5 * maxAbs(b.dX!), 'd/dx');
    expectValues(a.values, ev, 'fused vs reference');
    const r = refValues(ev);
    expect(Math.abs(a.nRep - r.nRep)).toBeLessThanOrEqual(2); // f32 distances may flip pairs at d ≈ 1
  });
});
