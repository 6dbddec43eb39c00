/**
 * Exact resume: 2n uninterrupted steps vs n steps, a checkpoint through its files (bytes
 * only, as a new process would read them), a fresh run + Trainer, the restore, and n more
 * steps. Same engine and kernels, deterministic reductions: the loss series must be bitwise
 * equal, not merely close.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fsFolderStore } from '../../src/runs/fsStore';
import { CheckpointClock, latestCheckpoint, listCheckpoints, prunePlan, saveCheckpoint } from '../../src/runs/checkpointStore';
import { findTask } from '../../src/tasks';
import type { TaskConfig } from '../../src/tasks/types';
import type { Engine } from '../../src/tensor/engine';
import { applyCheckpoint, beginCheckpoint, checkpointName, type CheckpointMeta } from '../../src/train/checkpoint';
import type { OptimizerInput } from '../../src/train/optim';
import { Trainer, type MetricPoint } from '../../src/train/trainer';
import { testEngine } from '../helpers/engine';

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

interface Case {
  task: string;
  config: TaskConfig;
  optimizer: OptimizerInput;
  accumulate: number;
  n: number;
}

async function makeTrainer(c: Case): Promise<Trainer> {
  const def = findTask(c.task);
  const run = await def.create(e, { ...def.defaults, ...c.config });
  // A decaying schedule over 2n steps, so a wrong schedule position would show.
  return new Trainer(e, run, c.optimizer, 3, c.accumulate, { totalSteps: 2 * c.n });
}

const series = (points: MetricPoint[]) => points.map((p) => [p.step, ...Object.keys(p.values).sort().map((k) => p.values[k])]);

async function checkResume(c: Case) {
  const whole = await makeTrainer(c);
  const all: MetricPoint[] = [];
  await whole.runSteps(2 * c.n, (p) => all.push(...p));
  const wholeEval = (await whole.evaluate()).scalars;
  whole.dispose();

  const first = await makeTrainer(c);
  const before: MetricPoint[] = [];
  await first.runSteps(c.n, (p) => before.push(...p));
  const pending = beginCheckpoint(first, { task: c.task, seed: 1 });
  // Training goes on while the checkpoint is read back: it must still hold step n's state.
  await first.runSteps(2, () => undefined);
  const files = await pending;
  first.dispose();
  expect(files.meta.step).toBe(c.n);
  expect(files.meta.position.micro_batch).toBe(c.n * c.accumulate);

  const store = fsFolderStore(mkdtempSync(join(tmpdir(), 'physml-ckpt-')));
  await saveCheckpoint(store, files, { everySteps: c.n, everyMinutes: 0, keep: 2 });
  const loaded = (await latestCheckpoint(store))!;
  const second = await makeTrainer(c);
  applyCheckpoint(second, loaded);
  expect(second.step).toBe(c.n);
  const after: MetricPoint[] = [];
  await second.runSteps(c.n, (p) => after.push(...p));
  const resumedEval = (await second.evaluate()).scalars;
  second.dispose();

  expect(series([...before, ...after])).toEqual(series(all));
  // Wall time continues from the checkpoint's instead of restarting at 0.
  expect(after[0].wallMs).toBeGreaterThanOrEqual(before[before.length - 1].wallMs);
  expect(resumedEval).toEqual(wholeEval);
  expect(e.gpu.takeErrors()).toEqual([]);
}

describe('resume from a checkpoint', () => {
  it('toy MLP, AdamW with warm-up cosine and clipping: the resumed losses equal the uninterrupted ones bitwise', async () => {
    await checkResume({
      task: 'toy-mlp', n: 9, accumulate: 1,
      config: { trainSize: 256, testSize: 64, batchSize: 64, hidden: 16, layers: 2 },
      optimizer: { name: 'adamw', lr: 3e-3, weight_decay: 0.01, schedule: 'warmup_cosine', warmup_steps: 4, clip_norm: 1 },
    });
  });

  it('toy MLP, SGD Nesterov with gradient accumulation (data position = step · accumulate)', async () => {
    await checkResume({
      task: 'toy-mlp', n: 6, accumulate: 2,
      config: { trainSize: 320, testSize: 64, batchSize: 64, hidden: 8, layers: 1 },
      optimizer: { name: 'sgd', lr: 0.05, momentum: 0.9, nesterov: true, schedule: 'step', step_size: 4, gamma: 0.5 },
    });
  });

  it('Deep Sets (segment pooling over packed sets, several batches)', async () => {
    await checkResume({
      task: 'deepsets', n: 4, accumulate: 1,
      config: { phiWidth: 16, phiDepth: 2, rhoWidth: 16, rhoDepth: 2, trainSets: 40, testSets: 16, batchCapacity: 2048 },
      optimizer: { name: 'adam', lr: 1e-3 },
    });
  });

  it('refuses a checkpoint of another model, writing nothing', async () => {
    const c: Case = { task: 'toy-mlp', n: 2, accumulate: 1, config: { trainSize: 64, testSize: 16, batchSize: 32, hidden: 8, layers: 1 }, optimizer: {} };
    const a = await makeTrainer(c);
    await a.runSteps(2, () => undefined);
    const files = await beginCheckpoint(a, { task: 'toy-mlp' });
    a.dispose();
    const b = await makeTrainer({ ...c, config: { ...c.config, hidden: 9 } });
    expect(() => applyCheckpoint(b, files)).toThrow(/layers\.0\.weight|does not fit|optimiser state/);
    expect(b.step).toBe(0);
    b.dispose();
  });
});

describe('checkpoint retention', () => {
  const meta = (step: number, loss?: number) => ({ step, metrics: { train: {}, test: loss === undefined ? {} : { loss, accuracy: -loss }, best: {} } }) as unknown as CheckpointMeta;

  it('keeps the last K and the best by the metric, in its direction', () => {
    const list = [meta(10, 0.5), meta(20, 0.2), meta(30, 0.4), meta(40, 0.3), meta(50)];
    expect(prunePlan(list, { everySteps: 10, everyMinutes: 0, keep: 2 })).toEqual([10, 20, 30].map(checkpointName));
    expect(prunePlan(list, { everySteps: 10, everyMinutes: 0, keep: 2, bestMetric: 'loss' })).toEqual([10, 30].map(checkpointName));
    // accuracy is "higher is better": the best is step 20 (accuracy -0.2).
    expect(prunePlan(list, { everySteps: 10, everyMinutes: 0, keep: 1, bestMetric: 'accuracy' })).toEqual([10, 30, 40].map(checkpointName));
    expect(prunePlan(list, { everySteps: 10, everyMinutes: 0, keep: 0 })).toHaveLength(4);
  });

  it('a checkpoint is due every N steps or M minutes', () => {
    const c = new CheckpointClock({ everySteps: 5, everyMinutes: 1, keep: 1 }, 0, 0);
    expect(c.due(4, 1000)).toBe(false);
    expect(c.due(5, 1000)).toBe(true);
    expect(c.due(1, 60_000)).toBe(true);
    c.mark(5, 1000);
    expect(c.due(5, 120_000)).toBe(false); // nothing new since the last one
    expect(c.stepsUntilDue(7)).toBe(3);
  });

  it('an interrupted write (no checkpoint.json) is not a checkpoint, and old ones survive a failed write', async () => {
    const root = mkdtempSync(join(tmpdir(), 'physml-ckpt-'));
    const store = fsFolderStore(root);
    const c: Case = { task: 'toy-mlp', n: 2, accumulate: 1, config: { trainSize: 64, testSize: 16, batchSize: 32, hidden: 8, layers: 1 }, optimizer: {} };
    const t = await makeTrainer(c);
    await t.runSteps(2, () => undefined);
    await saveCheckpoint(store, await beginCheckpoint(t, { task: 'toy-mlp' }), { everySteps: 1, everyMinutes: 0, keep: 1 });
    await t.runSteps(1, () => undefined);
    const next = await beginCheckpoint(t, { task: 'toy-mlp' });
    t.dispose();
    await store.writeFile(`checkpoints/${checkpointName(3)}/model.safetensors`, next.model);
    expect((await listCheckpoints(store)).map((m) => m.step)).toEqual([2]);
    // A store that fails on the optimiser file, as a full disk would.
    const full = { ...store, writeFile: async (p: string, b: Uint8Array) => {
      if (p.endsWith('optimizer.safetensors')) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      return store.writeFile(p, b);
    } };
    await expect(saveCheckpoint(full, next, { everySteps: 1, everyMinutes: 0, keep: 1 })).rejects.toThrow(/storage is full.*previous checkpoints are kept/);
    expect((await listCheckpoints(store)).map((m) => m.step)).toEqual([2]);
    expect(await store.listDirs('checkpoints')).toEqual([checkpointName(2)]);
  });
});
