import { beforeAll, describe, expect, it } from 'vitest';
import { Adam } from '../../src/train/adam';
import { adamRef } from '../../src/tensor/reference/adam';
import type { Engine } from '../../src/tensor/engine';
import { testEngine } from '../helpers/engine';
import { expectClose } from '../helpers/opcheck';
import { uniform } from '../helpers/random';
import type { Tensor } from '../../src/tensor/tensor';
import { AdamFamily, Sgd, resolveOptimizerConfig, type NamedParam } from '../../src/train/optim';
import { adamStepRef, guardRef, sgdStepRef } from '../../src/tensor/reference/optim';

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

// ---- guarded optimisers (shaders/optim_update.wgsl, optim_guard.wgsl) -------------------------

function named(ts: Tensor<'f32'>[], wd: number): NamedParam[] {
  return ts.map((tensor, i) => ({ name: `p${i}`, tensor, weightDecay: wd, group: 'decay' as const }));
}

function setGrads(ts: Tensor<'f32'>[], grads: Float64Array[]): Tensor<'f32'>[] {
  return ts.map((t, i) => (t.grad = e.fromArray(Float32Array.from(grads[i]), t.shape).keep()));
}

describe('guarded optimiser kernels', () => {
  const cases = [
    { name: 'adamw' as const, lr: 0.01, weight_decay: 0.05 },
    { name: 'adam' as const, lr: 0.01, weight_decay: 0.05 },
    { name: 'sgd' as const, lr: 0.05, weight_decay: 0.01, momentum: 0.9, nesterov: true },
  ];
  for (const c of cases) {
    for (const n of [1, 7, 257, 70_001]) {
      it(`${c.name} with clipping and a grad scale matches the f64 reference over 5 steps, n=${n}`, async () => {
        // Two tensors so the clip factor is a global one; clip_norm below the typical norm.
        const sizes = [n, 3];
        const cfg = resolveOptimizerConfig({ ...c, beta2: 0.99, clip_norm: 0.3 * Math.sqrt(n + 3) });
        const init = sizes.map((s, i) => uniform(s, 10 * n + i));
        const ts = init.map((v, i) => e.parameter(Float32Array.from(v), [sizes[i]]));
        const opt = c.name === 'sgd' ? new Sgd(e, named(ts, c.weight_decay), cfg) : new AdamFamily(e, named(ts, c.weight_decay), cfg);
        const ref = init.map((v) => Float64Array.from(v));
        const m = sizes.map((s) => new Float64Array(s));
        const v = sizes.map((s) => new Float64Array(s));
        const gradScale = 0.5;
        let clipped = 0;
        for (let t = 1; t <= 5; t++) {
          const grads = sizes.map((s, i) => uniform(s, 1000 * t + i, -2, 2));
          const gts = setGrads(ts, grads);
          opt.lr = cfg.lr * (1 + 0.1 * t); // a schedule: the uniform takes each step's lr
          opt.step({ gradScale });
          e.gpu.submit();
          gts.forEach((g) => g.dispose());
          const gr = guardRef(grads, gradScale, cfg.clip_norm);
          const snap = await opt.guard.read();
          // The norm: an f32 sum of n squares, scaled pairwise; ~1e-6 relative.
          expectClose([snap.norm], [gr.norm], 1e-5, 0, 'norm');
          expectClose([snap.clip], [gr.clip], 1e-5, 0, 'clip');
          if (gr.clip < 1) clipped++;
          expect(snap.t).toBe(t);
          const f = gr.clip * gradScale;
          for (let i = 0; i < sizes.length; i++) {
            const g = Array.from(grads[i], (x) => x * f);
            const h = { lr: opt.lr, weightDecay: c.weight_decay };
            if (c.name === 'sgd') sgdStepRef(ref[i], g, m[i], { ...h, momentum: cfg.momentum, nesterov: cfg.nesterov });
            else
              adamStepRef(ref[i], g, m[i], v[i], t, {
                ...h,
                beta1: cfg.beta1,
                beta2: cfg.beta2,
                eps: cfg.eps,
                decoupled: c.name === 'adamw',
              });
          }
        }
        expect(clipped).toBeGreaterThan(0);
        // Adam moves each weight by ≤ lr per step with ~1e-6 relative error in m/√v and in the
        // GPU's bias corrections (-expm1(t ln β), ~2e-7); SGD's steps are lr·O(1) with f32
        // round-off. After 5 steps the error stays below 1e-5 absolute on weights of O(1).
        for (let i = 0; i < sizes.length; i++) expectClose(await ts[i].read(), ref[i], 0, 1e-5, `${c.name} p${i}`);
        expect(e.gpu.takeErrors()).toEqual([]);
        opt.dispose();
        ts.forEach((t) => t.dispose());
      });
    }
  }

  it('the guard norm spans chunk boundaries and more parameters than threads', async () => {
    // Sizes around the 4096-element chunk of a partial, and 300 tensors (> 256 threads of
    // the finalize workgroup); values spanning 1e-20 … 1e15 check the scaled accumulation.
    const sizes = [4095, 4096, 4097, 3 * 4096 + 1, ...Array.from({ length: 296 }, (_, i) => 1 + (i % 5))];
    const grads = sizes.map((s, i) => uniform(s, 7 + i).map((x, j) => x * 10 ** (((i + j) % 36) - 20)));
    const ts = sizes.map((s) => e.parameter(new Float32Array(s), [s]));
    const opt = new Sgd(e, named(ts, 0), resolveOptimizerConfig({ name: 'sgd', lr: 0, clip_norm: 1 }));
    const gts = setGrads(ts, grads);
    // f32 copies of the gradients as the GPU sees them.
    const gr = guardRef(
      grads.map((g) => Float32Array.from(g)),
      1,
      1,
    );
    opt.step();
    const snap = await opt.guard.read();
    gts.forEach((g) => g.dispose());
    // Dominated by the largest terms (~1e15); f32 pairwise scaled sums, ~1e-6 relative.
    expectClose([snap.norm], [gr.norm], 1e-5, 0, 'norm');
    expectClose([snap.clip], [gr.clip], 1e-5, 0, 'clip');
    expect(snap.skip).toBe(false);
    opt.dispose();
    ts.forEach((t) => t.dispose());
  });

  for (const kind of ['adamw', 'sgd'] as const) {
    it(`${kind}: a non-finite or too-large gradient changes no weight, no moment, no step count`, async () => {
      const sizes = [257, 7, 5000];
      const cfg = resolveOptimizerConfig({ name: kind, lr: 0.1, momentum: 0.9, weight_decay: 0.1 });
      const ts = sizes.map((s, i) => e.parameter(Float32Array.from(uniform(s, 50 + i)), [s]));
      const opt = kind === 'sgd' ? new Sgd(e, named(ts, 0.1), cfg) : new AdamFamily(e, named(ts, 0.1), cfg);
      const clean = () => {
        const gts = setGrads(
          ts,
          sizes.map((s, i) => uniform(s, 90 + i)),
        );
        opt.step();
        e.gpu.submit();
        gts.forEach((g) => g.dispose());
      };
      clean();
      clean();
      const before = await opt.state();
      const weights = await Promise.all(ts.map((t) => t.read()));
      const poisoned: [string, (g: Float64Array[]) => void, number[]][] = [
        ['NaN', (g) => (g[0][100] = NaN), [0]],
        ['inf', (g) => (g[2][4999] = -Infinity), [2]],
        // Finite, but its square overflows f32 (|g| > 1.8e19): Adam's v would become inf.
        ['too large', (g) => (g[1][3] = 3e38), [1]],
      ];
      for (const [what, poison, badParams] of poisoned) {
        const grads = sizes.map((s, i) => uniform(s, 200 + i));
        poison(grads);
        const gts = setGrads(ts, grads);
        opt.step();
        e.gpu.submit();
        gts.forEach((g) => g.dispose());
        const snap = await opt.guard.read();
        expect(snap.skip, what).toBe(true);
        expect(snap.badParams, what).toEqual(badParams);
        opt.guard.clearSticky();
      }
      const after = await opt.state();
      expect(after.step).toBe(2);
      expect(after.skipped_steps).toBe(3);
      for (const [name, slots] of Object.entries(before.slots)) {
        for (const [k, vals] of Object.entries(slots)) expect(Array.from(after.slots[name][k]), `${name}.${k}`).toEqual(Array.from(vals));
      }
      for (let i = 0; i < ts.length; i++) expect(Array.from(await ts[i].read())).toEqual(Array.from(weights[i]));
      const snap = await opt.guard.read();
      expect(snap.consecutive).toBe(3);
      // With clipping on, the same huge gradient is clipped to a finite step: not skipped.
      if (kind === 'adamw') {
        opt.config.clip_norm = 1;
        const grads = sizes.map((s, i) => uniform(s, 300 + i));
        grads[1][3] = 3e38;
        const gts = setGrads(ts, grads);
        opt.step();
        e.gpu.submit();
        gts.forEach((g) => g.dispose());
        const s2 = await opt.guard.read();
        expect(s2.skip).toBe(false);
        expect(s2.t).toBe(3);
        expect(s2.consecutive).toBe(0);
        expect((await ts[1].read()).every(Number.isFinite)).toBe(true);
      }
      clean();
      expect((await opt.guard.read()).consecutive).toBe(0);
      expect(e.gpu.takeErrors()).toEqual([]);
      opt.dispose();
      ts.forEach((t) => t.dispose());
    });
  }
});
