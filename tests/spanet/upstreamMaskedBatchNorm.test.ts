// Upstream SPANet's MaskedBatchNorm in train mode (src/nn/spanetUpstream/maskedBatchNorm.ts):
// the running-statistics kernel against its f64 reference at odd sizes, the module's batch
// statistics, output and gradient against f64 references, and finite differences.
import { beforeAll, describe, expect, it } from 'vitest';
import { MaskedBatchNorm, updateMaskedRunningStats } from '../../src/nn/spanetUpstream/maskedBatchNorm';
import { valueAndGrad } from '../../src/tensor/autodiff';
import type { Engine } from '../../src/tensor/engine';
import { mul } from '../../src/tensor/ops/elementwise';
import { sumAxes } from '../../src/tensor/ops/reduceAxes';
import { maskedBatchNormApplyRef, maskedBatchStatsRef, maskedRunningUpdateRef } from '../../src/tensor/reference/maskedBatchNorm';
import { expectClose } from '../helpers/opcheck';
import { testEngine } from '../helpers/engine';
import { rng as seededRandom } from '../helpers/random';

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

const draw = (n: number, rand: () => number, lo = -1, hi = 1) => Float32Array.from({ length: n }, () => lo + (hi - lo) * rand());

describe('masked batch norm running statistics kernel (mbn_running_update, mbn_count)', () => {
  it.each([
    [1, 0],
    [7, 0],
    [7, 3],
    [257, 1],
    [257, 0],
  ])('D = %i, counter %i: equals the f64 reference', async (D, count) => {
    const r = seededRandom(D + 10 * count);
    const [bm, bv, rm, rv] = [draw(D, r), draw(D, r, 0.1, 2), draw(D, r), draw(D, r, 0.1, 2)];
    const running = {
      mean: e.fromArray(rm, [1, 1, D]),
      var: e.fromArray(rv, [1, 1, D]),
      count: e.fromArray(Int32Array.of(count), [], { dtype: 'i32' }),
    };
    updateMaskedRunningStats(e, { mean: e.fromArray(bm, [1, 1, D]), var: e.fromArray(bv, [1, 1, D]) }, running, 0.1);
    const want = maskedRunningUpdateRef(rm, rv, bm, bv, count, 0.1);
    // f32: two products and a sum of values ≤ 2 round to ≤ 3 ulp ≈ 4e-7; 1e-6 leaves room.
    expectClose(await running.mean.read(), want.mean, 1e-6, 1e-6, 'running_mean');
    expectClose(await running.var.read(), want.var, 1e-6, 1e-6, 'running_var');
    if (count === 0) expect(Array.from(await running.mean.read())).toEqual(Array.from(bm)); // replaced, bit for bit
    expect(Array.from(await running.count.read())).toEqual([count + 1]);
  });
});

describe('MaskedBatchNorm in train mode', () => {
  // T = 5 vectors, B = 3 events, D = 7 features; event 1 has 2 real vectors, event 2 has 4.
  const [T, B, D] = [5, 3, 7];
  const maskRows = Float32Array.from({ length: T * B }, (_, i) => {
    const [t, b] = [Math.floor(i / B), i % B];
    return t < [5, 2, 4][b] ? 1 : 0;
  });
  const r = seededRandom(3);
  // Padded entries hold large values: a statistic that counted them would be far off.
  const x = Float32Array.from({ length: T * B * D }, (_, i) => (maskRows[Math.floor(i / D)] ? 2 * r() - 1 + 0.5 * (i % D) : 40));
  const w = draw(D, r, 0.5, 1.5);
  const bias = draw(D, r);
  const R = draw(T * B * D, r);

  const module = () => {
    const m = new MaskedBatchNorm(e, D);
    e.gpu.write(m.weight.buffer, w);
    e.gpu.write(m.bias.buffer, bias);
    m.train();
    return m;
  };

  it('normalises with the mean and unbiased variance of the real vectors and counts the batch', async () => {
    const m = module();
    const y = m.forward(e.fromArray(x, [T, B, D]), e.fromArray(maskRows, [T, B, 1]));
    const stats = maskedBatchStatsRef(x, maskRows, D);
    const want = maskedBatchNormApplyRef(x, maskRows, stats.mean, stats.var, w, bias, 1e-5);
    // f32 sums of 11 values and one rsqrt: ~1e-6 relative on O(1) outputs; 1e-5 is ten times that.
    expectClose(await y.read(), want, 1e-5, 1e-5, 'y');
    // the first batch replaces the running statistics (upstream: num_batches_tracked == 0)
    expectClose(await m.runningMean.read(), stats.mean, 1e-6, 1e-6, 'running_mean');
    expectClose(await m.runningVar.read(), stats.var, 1e-5, 1e-6, 'running_var');
    expect(Array.from(await m.numBatchesTracked.read())).toEqual([1]);
    // a second batch moves them by momentum 0.1
    const x2 = Float32Array.from(x, (v) => 0.5 * v + 0.25);
    m.forward(e.fromArray(x2, [T, B, D]), e.fromArray(maskRows, [T, B, 1]));
    const s2 = maskedBatchStatsRef(x2, maskRows, D);
    const next = maskedRunningUpdateRef(stats.mean, stats.var, s2.mean, s2.var, 1, 0.1);
    expectClose(await m.runningMean.read(), next.mean, 1e-6, 1e-6, 'running_mean, second batch');
    expectClose(await m.runningVar.read(), next.var, 1e-5, 1e-6, 'running_var, second batch');
    expect(Array.from(await m.numBatchesTracked.read())).toEqual([2]);
    m.dispose();
  });

  it('backward holds the statistics constant (detached, as upstream): x, weight and bias gradients equal the f64 formulas', async () => {
    const m = module();
    const xt = e.fromArray(x, [T, B, D]);
    const mask = e.fromArray(maskRows, [T, B, 1]);
    const Rt = e.fromArray(R, [T, B, D]);
    const { grads } = valueAndGrad(() => sumAxes(mul(m.forward(xt, mask), Rt)), [xt, m.weight, m.bias]);
    const s = maskedBatchStatsRef(x, maskRows, D);
    const dx = new Float64Array(x.length);
    const dw = new Float64Array(D);
    const db = new Float64Array(D);
    for (let i = 0; i < x.length; i++) {
      const d = i % D;
      const keep = maskRows[Math.floor(i / D)];
      const rstd = 1 / Math.sqrt(s.var[d] + 1e-5);
      dx[i] = R[i] * keep * w[d] * rstd;
      dw[d] += R[i] * keep * (x[i] - s.mean[d]) * rstd;
      db[d] += R[i] * keep;
    }
    // f32 sums of ≤ 11 terms of O(1): 1e-5 relative.
    expectClose(await grads[0].read(), dx, 1e-5, 1e-5, 'dx');
    expectClose(await grads[1].read(), dw, 1e-5, 1e-5, 'dweight');
    expectClose(await grads[2].read(), db, 1e-5, 1e-5, 'dbias');
    m.dispose();
  });

  it('the gradient equals central finite differences of the forward with the batch statistics frozen', async () => {
    // After one train step from a fresh module the running statistics are the batch's, so eval
    // mode is the train-mode function with its statistics held: the function upstream differentiates.
    const m = module();
    const xt = e.fromArray(x, [T, B, D]);
    const mask = e.fromArray(maskRows, [T, B, 1]);
    const Rt = e.fromArray(R, [T, B, D]);
    const { value, grads } = valueAndGrad(() => sumAxes(mul(m.forward(xt, mask), Rt)), [xt, m.weight]);
    m.eval();
    const L = async (xs: Float32Array, ws: Float32Array) => {
      e.gpu.write(m.weight.buffer, ws);
      const out = e.scope(() => sumAxes(mul(m.forward(e.fromArray(xs, [T, B, D]), mask), Rt)));
      const v = (await out.read())[0];
      out.dispose();
      return v;
    };
    expect(await L(x, w)).toBeCloseTo((await value.read())[0], 4);
    const gx = await grads[0].read();
    const gw = await grads[1].read();
    // h = 1e-2 in f32 on a sum of O(10): rounding ≈ 1e-6·10/1e-2 = 1e-3, the function is linear in x and w
    // once the statistics are frozen, so the h² term vanishes; 5e-3 absolute.
    const h = 1e-2;
    for (const i of [0, 8, 30, 57, 104]) {
      const [xp, xm] = [Float32Array.from(x), Float32Array.from(x)];
      xp[i] += h;
      xm[i] -= h;
      expect(Math.abs(((await L(xp, w)) - (await L(xm, w))) / (2 * h) - gx[i]), `dx[${i}]`).toBeLessThan(5e-3);
    }
    for (const d of [0, 3, 6]) {
      const [wp, wm] = [Float32Array.from(w), Float32Array.from(w)];
      wp[d] += h;
      wm[d] -= h;
      expect(Math.abs(((await L(x, wp)) - (await L(x, wm))) / (2 * h) - gw[d]), `dweight[${d}]`).toBeLessThan(5e-3);
    }
    m.dispose();
  });
});
