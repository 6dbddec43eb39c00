import { beforeAll, describe, expect, it } from 'vitest';
import { encodeSafetensors } from '../../src/export/safetensors';
import type { Engine } from '../../src/tensor/engine';
import { findTask } from '../../src/tasks';
import { fileSplit, labelledFromTaskData, parseSetsTaskData, toySets, toySplit, toyTarget } from '../../src/tasks/deepsets/data';
import { deepSetsTask, DeepSetsRun, type DeepSetsConfig } from '../../src/tasks/deepsets/task';
import { seededRandom } from '../../src/nn/init';
import { Trainer } from '../../src/train/trainer';
import { testEngine } from '../helpers/engine';
import { trainToTarget } from '../../src/tasks/deepsets/goal';
import { learnableSetsData } from './fixtures';

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

const small: DeepSetsConfig = {
  ...deepSetsTask.defaults,
  phiWidth: 16,
  phiDepth: 2,
  rhoWidth: 16,
  rhoDepth: 1,
  batchCapacity: 160,
  trainSets: 48,
  testSets: 16,
};

describe('toy data (the seed’s problem)', () => {
  it('draws set sizes 1..401 from a scaled exponential and 2-D normal elements', () => {
    const { sets, targets } = toySets(1000, seededRandom(5));
    const sizes = Array.from({ length: 1000 }, (_, k) => sets.offsets[k + 1] - sets.offsets[k]);
    expect(Math.max(...sizes)).toBe(401);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(1);
    // Exponential scaled so its max (≈ ln 1000 + γ ≈ 7.5 for 1000 draws) maps to 400: mean ≈ 400/7.5 + 0.5.
    const mean = sizes.reduce((a, b) => a + b, 0) / 1000;
    expect(mean).toBeGreaterThan(35);
    expect(mean).toBeLessThan(80);
    const v = sets.values;
    const m = v.reduce((a, b) => a + b, 0) / v.length;
    const sd = Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length);
    expect(Math.abs(m)).toBeLessThan(0.02);
    expect(Math.abs(sd - 1)).toBeLessThan(0.02);
    const k = 17;
    expect(targets[k]).toBeCloseTo(toyTarget(v.subarray(sets.offsets[k] * 2, sets.offsets[k + 1] * 2)), 5);
  });

  it('computes the target log(1 + |Σ x0² + 3·x1|)', () => {
    expect(toyTarget(new Float32Array([1, 2, -2, -1]))).toBeCloseTo(Math.log1p(Math.abs(1 + 6 + 4 - 3)), 6);
  });

  it('is reproducible from the seed, and classification splits at the training median', () => {
    const a = toySplit(30, 10, 4, 0);
    const b = toySplit(30, 10, 4, 0);
    expect(Array.from(a.test.targets)).toEqual(Array.from(b.test.targets));
    expect(Array.from(toySplit(30, 10, 5, 0).test.targets)).not.toEqual(Array.from(a.test.targets));
    const c = toySplit(30, 10, 4, 2);
    expect(c.train.numClasses).toBe(2);
    const ones = Array.from(c.train.targets).filter((v) => v === 1).length;
    expect(ones).toBeGreaterThanOrEqual(14);
    expect(ones).toBeLessThanOrEqual(15);
  });
});

describe('file data (SetsTaskData)', () => {
  it('accepts the documented shape and rejects malformed data with a reason', () => {
    const ok = learnableSetsData(10, 4, 1);
    expect(parseSetsTaskData(ok as never)).toBe(ok);
    const bad = (patch: object) => () => parseSetsTaskData({ ...ok, ...patch } as never);
    expect(bad({ kind: 'hits' })).toThrow(/kind/);
    expect(bad({ values: [1, 2] })).toThrow(/Float32Array/);
    expect(bad({ offsets: new Uint32Array([0, 5]) })).toThrow(/offset|targets/);
    expect(bad({ targets: new Float32Array(3) })).toThrow(/targets for 10 sets/);
    expect(bad({ targets: Int32Array.from({ length: 10 }, (_, i) => i % 3), numClasses: 2 })).toThrow(/outside/);
    expect(bad({ values: new Float32Array(ok.values.length).fill(NaN) })).toThrow(/NaN/);
  });

  it('splits by a seeded shuffle into disjoint test and training sets', () => {
    const d = labelledFromTaskData(learnableSetsData(50, 5, 2));
    const s = fileSplit(d, 30, 12, 9);
    expect(s.train.targets.length).toBe(30);
    expect(s.test.targets.length).toBe(12);
    const all = new Set([...s.train.targets, ...s.test.targets]);
    expect(all.size).toBe(42); // continuous targets: distinct sets have distinct values
    const capped = fileSplit(d, 1000, 12, 9);
    expect(capped.train.targets.length).toBe(38);
  });
});

describe('Deep Sets task', () => {
  it('is registered, and trains on file data: the loss falls and the test MSE improves', async () => {
    expect(findTask('deepsets')).toBe(deepSetsTask);
    const run = (await deepSetsTask.create(e, small, learnableSetsData(64, 8, 3))) as DeepSetsRun;
    expect(run.describe()).toMatch(/48 train \/ 16 test sets/);
    expect(run.describe()).toMatch(/padding: \d+\.\d% of element rows \(per block/);
    const trainer = new Trainer(e, run, { lr: 3e-3 }, 10);
    const before = (await trainer.evaluate()).scalars.mse;
    const losses: number[] = [];
    await trainer.runSteps(120, (pts) => pts.forEach((p) => losses.push(p.values.loss)));
    const after = await trainer.evaluate();
    expect(losses.length).toBe(120);
    const head = losses.slice(0, 10).reduce((a, b) => a + b) / 10;
    const tail = losses.slice(-10).reduce((a, b) => a + b) / 10;
    expect(tail).toBeLessThan(head / 5);
    expect(after.scalars.mse).toBeLessThan(before / 4);
    expect(after.scalars.loss).toBe(after.scalars.mse);
    const fig = after.figures![0];
    expect(fig.kind).toBe('scatter');
    expect(fig.x!.length).toBe(16);
    expect(fig.y!.length).toBe(16);
    const w = await run.namedWeights();
    expect(Object.keys(w).sort()).toEqual([
      'phi.0.bias',
      'phi.0.weight',
      'phi.1.bias',
      'phi.1.weight',
      'rho.0.bias',
      'rho.0.weight',
      'rho.1.bias',
      'rho.1.weight',
    ]);
    expect(w['rho.1.weight'].shape).toEqual([1, 16]); // [out, in] as torch
    expect(encodeSafetensors(w).length).toBeGreaterThan(4 * 16 * 16);
    trainer.dispose();
  });

  it('classification head: cross-entropy falls, evaluation reports accuracy and a confusion matrix', async () => {
    const run = new DeepSetsRun(e, { ...small, head: 'classification' }, learnableSetsData(64, 8, 4, 2));
    expect(run.numClasses).toBe(2);
    const trainer = new Trainer(e, run, { lr: 3e-3 }, 10);
    const losses: number[] = [];
    await trainer.runSteps(60, (pts) => pts.forEach((p) => losses.push(p.values.loss)));
    expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
    const ev = await trainer.evaluate();
    expect(ev.scalars.accuracy).toBeGreaterThanOrEqual(0);
    expect(ev.scalars.accuracy).toBeLessThanOrEqual(1);
    const z = ev.figures![0].z!;
    expect(z.flat().reduce((a, b) => a + b)).toBe(16);
    expect((z[0][0] + z[1][1]) / 16).toBeCloseTo(ev.scalars.accuracy, 10);
    trainer.dispose();
  });

  it('built-in toy data: describes padding, raises the capacity to the largest set', async () => {
    const run = new DeepSetsRun(e, { ...small, trainSets: 6, testSets: 4, batchCapacity: 100 });
    expect(run.describe()).toMatch(/toy sets: 6 train \/ 4 test sets of 2 features \(train sizes \d+–401/);
    expect(run.describe()).toMatch(/raised from 100 to fit the largest set/);
    expect(run.train.packing.capacity).toBe(401);
    run.dispose();
  });
});

describe('trainToTarget (the goal measurement of scripts/deepsets-goal.ts)', () => {
  const cfg = { phiWidth: 16, phiDepth: 2, rhoWidth: 16, rhoDepth: 1, batchCapacity: 160, trainSets: 48, testSets: 16 };

  it('stops at the first evaluation below the target and reports the step count', async () => {
    const data = learnableSetsData(64, 8, 3);
    const seen: number[] = [];
    const r = await trainToTarget(e, cfg, {
      target: 0.08,
      maxSteps: 300,
      evalEvery: 10,
      lr: 3e-3,
      data,
      onEval: (step) => seen.push(step),
    });
    expect(r.stepsToTarget).not.toBeNull();
    const last = r.history[r.history.length - 1];
    expect(last.step).toBe(r.stepsToTarget);
    expect(last.testMse).toBeLessThan(0.08);
    expect(r.history.slice(0, -1).every((h) => h.testMse >= 0.08)).toBe(true);
    expect(seen).toEqual(r.history.map((h) => h.step));
    expect(r.stepsToTarget! % 10).toBe(0);
  });

  it('reports null when the step budget runs out first', async () => {
    const r = await trainToTarget(e, cfg, { target: 0, maxSteps: 20, evalEvery: 10, data: learnableSetsData(64, 8, 3) });
    expect(r.stepsToTarget).toBeNull();
    expect(r.history.map((h) => h.step)).toEqual([10, 20]);
  });
});
