import { beforeAll, describe, expect, it } from 'vitest';
import { Adam } from '../../src/train/adam';
import { adamRef } from '../../src/tensor/reference/adam';
import type { Engine } from '../../src/tensor/engine';
import { testEngine } from '../helpers/engine';
import { expectClose } from '../helpers/opcheck';
import { uniform } from '../helpers/random';

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

describe('fused AdamW kernel', () => {
  for (const n of [1, 7, 257, 70_001]) {
    it(`matches the f64 reference over 5 steps, n=${n}`, async () => {
      const hyper = { lr: 0.01, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.01 };
      const p0 = uniform(n, n);
      const p = e.parameter(Float32Array.from(p0), [n]);
      const opt = new Adam(e, [p], hyper);
      const pr = Float64Array.from(p0);
      const m = new Float64Array(n);
      const v = new Float64Array(n);
      for (let t = 1; t <= 5; t++) {
        const g = uniform(n, 100 + t, -2, 2);
        p.grad = e.fromArray(Float32Array.from(g), [n]).keep();
        const gradT = p.grad;
        opt.update();
        gradT.dispose();
        adamRef(pr, Float32Array.from(g), m, v, t, hyper);
      }
      // Each step moves p by ≤ lr·(1 + wd·|p|); f32 round-off of m/sqrt(v) is ~1e-6
      // relative, so after 5 steps the error stays far below 1e-5 absolute.
      expectClose(await p.read(), pr, 0, 1e-5, 'adam');
      expect(e.gpu.takeErrors()).toEqual([]);
      opt.dispose();
      p.dispose();
    });
  }
});
