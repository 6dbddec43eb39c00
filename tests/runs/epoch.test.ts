/**
 * The epoch value each training point carries: micro-batches done / the task's batches per
 * epoch (trainStep(k) draws batch k mod n), with gradient accumulation counted.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { findTask } from '../../src/tasks';
import type { TaskConfig } from '../../src/tasks/types';
import type { Engine } from '../../src/tensor/engine';
import { Trainer, type MetricPoint } from '../../src/train/trainer';
import { testEngine } from '../helpers/engine';

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

async function points(task: string, config: TaskConfig, accumulate: number, steps: number) {
  const def = findTask(task);
  const run = await def.create(e, { ...def.defaults, ...config });
  const perEpoch = run.batchesPerEpoch?.();
  const t = new Trainer(e, run, { lr: 1e-3 }, 2, accumulate);
  const out: MetricPoint[] = [];
  await t.runSteps(steps, (p) => out.push(...p));
  t.dispose();
  return { perEpoch, out };
}

describe('epoch per training point', () => {
  it('toy MLP: 100 samples in batches of 32 are 3 batches an epoch (the last 4 samples unused)', async () => {
    const { perEpoch, out } = await points('toy-mlp', { trainSize: 100, batchSize: 32, hidden: 8, layers: 1 }, 1, 5);
    expect(perEpoch).toBe(3);
    expect(out.map((p) => p.step)).toEqual([1, 2, 3, 4, 5]);
    // exact: both are small integers divided once
    expect(out.map((p) => p.values.epoch)).toEqual([1 / 3, 2 / 3, 1, 4 / 3, 5 / 3]);
  });

  it('accumulation counts micro-batches: 2 per step over 3 batches', async () => {
    const { out } = await points('toy-mlp', { trainSize: 100, batchSize: 32, hidden: 8, layers: 1 }, 2, 3);
    expect(out.map((p) => p.values.epoch)).toEqual([2 / 3, 4 / 3, 2]);
  });

  it('Deep Sets reports its packed blocks; clustering its built-in batches', async () => {
    const ds = await points('deepsets', { trainSets: 64, testSets: 16, batchCapacity: 256 }, 1, 2);
    expect(ds.perEpoch).toBeGreaterThan(0);
    expect(ds.out.map((p) => p.values.epoch)).toEqual([1 / ds.perEpoch!, 2 / ds.perEpoch!]);
    const def = findTask('oc-clustering');
    const run = await def.create(e, { ...def.defaults });
    expect(run.batchesPerEpoch?.()).toBeGreaterThan(0);
    run.dispose();
  });
});
