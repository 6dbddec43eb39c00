import { beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/nn/init';
import { Mlp } from '../../src/nn/mlp';
import { toyRegressionTask } from '../../src/tasks/toy/task';
import type { TaskRun } from '../../src/tasks/types';
import type { Engine } from '../../src/tensor/engine';
import { mse } from '../../src/tensor/ops/losses';
import type { Tensor } from '../../src/tensor/tensor';
import type { OptimizerInput } from '../../src/train/optim';
import { Trainer, type MetricPoint } from '../../src/train/trainer';
import { testEngine } from '../helpers/engine';
import { uniform } from '../helpers/random';

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

/** A tiny regression run whose input can be swapped for a poisoned copy. */
function tinyRun(): TaskRun & { poison(kind: 'none' | 'nan' | 'huge'): void } {
  const n = 16;
  const mlp = new Mlp(e, { sizes: [2, 8, 1], activation: 'relu' }, seededRandom(5));
  const xs = Float32Array.from(uniform(2 * n, 1));
  const make = (f: (x: Float32Array) => void) => {
    const c = xs.slice();
    f(c);
    return e.fromArray(c, [n, 2]).keep();
  };
  const inputs = { none: make(() => {}), nan: make((c) => (c[5] = NaN)), huge: make((c) => (c[5] = 3e38)) };
  const y = e.fromArray(Float32Array.from(uniform(n, 2)), [n, 1]).keep();
  let x: Tensor<'f32'> = inputs.none;
  return {
    model: mlp,
    parameters: () => mlp.parameters(),
    trainStep: () => ({ loss: mse(mlp.forward(x), y) }),
    evaluate: async () => ({ scalars: {} }),
    describe: () => 'tiny',
    poison(kind) {
      x = inputs[kind];
    },
    dispose() {
      mlp.dispose();
      for (const t of [...Object.values(inputs), y]) t.dispose();
    },
  };
}

const readAll = (ts: Tensor<'f32'>[]) => Promise.all(ts.map(async (t) => Array.from(await t.read())));

describe('non-finite steps', () => {
  for (const kind of ['nan', 'huge'] as const) {
    it(`a ${kind === 'nan' ? 'NaN' : '3e38'} input skips steps, leaves every weight and moment as it was, and pauses with the reason`, async () => {
      const run = tinyRun();
      const trainer = new Trainer(e, run, { lr: 1e-2 }, 4);
      const points: MetricPoint[] = [];
      await trainer.runSteps(8, (p) => points.push(...p));
      expect(trainer.pauseReason).toBeNull();
      const weights = await readAll(run.parameters());
      const state = await trainer.optimizer.state();
      expect(state.step).toBe(8);

      run.poison(kind);
      await trainer.runSteps(100, (p) => points.push(...p));
      const reason = trainer.pauseReason!;
      expect(reason).not.toBeNull();
      // Detected at a readback: the limit (10) plus at most two rings of 4 steps late.
      expect(reason.consecutive).toBeGreaterThanOrEqual(10);
      expect(trainer.step).toBeLessThanOrEqual(8 + 10 + 8);
      expect(reason.step).toBe(8 + 10);
      if (kind === 'huge') {
        // 3e38 · w overflows in the forward pass: the loss is inf.
        expect(reason.lossNonFinite).toBe(true);
        expect(reason.message).toMatch(/10 consecutive steps were skipped because the loss was non-finite/);
      } else {
        // WGSL's max(NaN, 0) may give 0, so ReLU can hide the NaN from the loss; the first
        // layer's weight gradient (δᵀx, x holding the NaN) cannot.
        expect(reason.params).toContain('layers.0.weight');
        expect(reason.message).toMatch(/10 consecutive steps were skipped because .*the gradient of .*layers\.0\.weight.* was non-finite/);
      }
      // The skip count is a plotted metric, one more per poisoned step.
      const poisoned = points.filter((p) => p.step > 8);
      expect(poisoned.map((p) => p.values.skipped_steps)).toEqual(poisoned.map((_, i) => i + 1));
      expect(points.filter((p) => p.step <= 8).every((p) => p.values.skipped_steps === 0)).toBe(true);
      expect(points.every((p) => p.values.lr === 1e-2)).toBe(true);

      // Nothing moved: weights, moments and the bias-correction step count.
      expect(await readAll(run.parameters())).toEqual(weights);
      const after = await trainer.optimizer.state();
      expect(after.step).toBe(8);
      expect(after.skipped_steps).toBe(trainer.step - 8);
      for (const [name, slots] of Object.entries(state.slots)) {
        for (const k of Object.keys(slots)) expect(Array.from(after.slots[name][k]), `${name}.${k}`).toEqual(Array.from(slots[k]));
      }

      // Clean data again: training resumes where it stopped.
      run.poison('none');
      const skipped = after.skipped_steps;
      await trainer.runSteps(5, (p) => points.push(...p));
      expect(trainer.pauseReason).toBeNull();
      expect((await trainer.optimizer.state()).step).toBe(13);
      expect(points[points.length - 1].values.skipped_steps).toBe(skipped);
      expect(await readAll(run.parameters())).not.toEqual(weights);
      expect(e.gpu.takeErrors()).toEqual([]);
      trainer.dispose();
    });
  }

  const small = { ...toyRegressionTask.defaults, trainSize: 256, testSize: 64, batchSize: 128, hidden: 32, layers: 2 };
  const blowUps: [string, OptimizerInput][] = [
    ['AdamW', { name: 'adamw', lr: 1e6 }],
    ['SGD with momentum', { name: 'sgd', lr: 1e6, momentum: 0.9 }],
  ];
  for (const [label, optim] of blowUps) {
    it(`${label} at lr = 1e6 on the toy MLP keeps every weight finite and pauses`, async () => {
      const run = toyRegressionTask.create(e, small) as TaskRun;
      const trainer = new Trainer(e, run, optim, 5);
      const points: MetricPoint[] = [];
      await trainer.runSteps(60, (p) => points.push(...p));
      for (const w of await readAll(run.parameters())) expect(w.every(Number.isFinite)).toBe(true);
      const state = await trainer.optimizer.state();
      for (const slots of Object.values(state.slots)) for (const v of Object.values(slots)) expect(v.every(Number.isFinite)).toBe(true);
      expect(points[points.length - 1].values.skipped_steps).toBeGreaterThanOrEqual(10);
      expect(trainer.pauseReason?.message).toMatch(/consecutive steps were skipped/);
      trainer.dispose();
    });
  }

  it('max_skipped_steps 0 never pauses; a clean run skips nothing and plots lr and grad_norm', async () => {
    const run = tinyRun();
    const trainer = new Trainer(e, run, { lr: 1e-2, max_skipped_steps: 0, schedule: 'warmup_linear', warmup_steps: 2, decay_steps: 10 }, 4);
    const points: MetricPoint[] = [];
    await trainer.runSteps(4, (p) => points.push(...p));
    expect(points.map((p) => p.values.skipped_steps)).toEqual([0, 0, 0, 0]);
    expect(points.map((p) => p.values.lr)).toEqual([0, 0.005, 0.01, (0.01 * 7) / 8]);
    expect(points.every((p) => p.values.grad_norm > 0 && Number.isFinite(p.values.grad_norm))).toBe(true);
    run.poison('nan');
    await trainer.runSteps(30, (p) => points.push(...p));
    expect(trainer.pauseReason).toBeNull();
    expect(trainer.step).toBe(34);
    expect(points[points.length - 1].values.skipped_steps).toBe(30);
    trainer.dispose();
  });
});
