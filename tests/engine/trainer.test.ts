import { beforeAll, describe, expect, it } from 'vitest';
import { toyRegressionTask } from '../../src/tasks/toy/task';
import type { Engine } from '../../src/tensor/engine';
import { Trainer, type MetricPoint } from '../../src/train/trainer';
import { decodeSafetensors, encodeSafetensors } from '../../src/export/safetensors';
import { testEngine } from '../helpers/engine';

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

const small = { ...toyRegressionTask.defaults, trainSize: 512, testSize: 128, batchSize: 128, hidden: 32, layers: 2 };

describe('Trainer', () => {
  it('submits once per step, reads metrics every k steps, and learns', async () => {
    const run = toyRegressionTask.create(e, small) as Awaited<ReturnType<typeof toyRegressionTask.create>>;
    const trainer = new Trainer(e, run, { lr: 3e-3 }, 10);
    const before = (await trainer.evaluate()).scalars.loss;
    const points: MetricPoint[] = [];
    const submits0 = e.gpu.submitCount;
    await trainer.runSteps(200, (p) => points.push(...p));
    const submits = e.gpu.submitCount - submits0;
    // 200 step submits + one readback submit per 10 steps.
    expect(submits).toBe(200 + 20);
    expect(points.map((p) => p.step)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(points.every((p) => Number.isFinite(p.values.loss))).toBe(true);
    const after = (await trainer.evaluate()).scalars.loss;
    expect(after).toBeLessThan(before / 5);
    trainer.dispose();
    expect(e.gpu.takeErrors()).toEqual([]);
  });

  it('stops between steps when asked', async () => {
    const run = toyRegressionTask.create(e, small) as Awaited<ReturnType<typeof toyRegressionTask.create>>;
    const trainer = new Trainer(e, run, {}, 5);
    let n = 0;
    await trainer.runSteps(
      100,
      (p) => (n += p.length),
      () => trainer.step >= 12,
    );
    expect(trainer.step).toBe(12);
    expect(n).toBe(12);
    trainer.dispose();
  });

  it('the wall-time axis counts training only, not the time between runs (pauses, evaluations)', async () => {
    const run = toyRegressionTask.create(e, small) as Awaited<ReturnType<typeof toyRegressionTask.create>>;
    const trainer = new Trainer(e, run, {}, 5);
    const points: MetricPoint[] = [];
    await trainer.runSteps(5, (p) => points.push(...p));
    await new Promise((r) => setTimeout(r, 3000)); // a pause
    await trainer.runSteps(5, (p) => points.push(...p));
    const gap = points[5].wallMs - points[4].wallMs;
    // One tiny step takes tens of ms; had the pause counted, the gap would exceed 3000 ms.
    expect(gap).toBeGreaterThan(0);
    expect(gap).toBeLessThan(2000);
    trainer.dispose();
  });

  it('exports the trained weights as safetensors that decode to the same values', async () => {
    const run = toyRegressionTask.create(e, small) as Awaited<ReturnType<typeof toyRegressionTask.create>>;
    const weights = await run.namedWeights!();
    const bytes = encodeSafetensors(weights, { task: 'toy' });
    const back = decodeSafetensors(bytes);
    expect(Object.keys(back.weights).sort()).toEqual(Object.keys(weights).sort());
    for (const [k, w] of Object.entries(weights)) {
      expect(back.weights[k].shape).toEqual(w.shape);
      expect(Array.from(back.weights[k].data)).toEqual(Array.from(w.data));
    }
    expect(back.metadata.task).toBe('toy');
    expect(() => decodeSafetensors(bytes.subarray(0, 20))).toThrow(/runs past the end/);
    run.dispose();
  });
});
