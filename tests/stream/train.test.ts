/**
 * Tasks trained from streams in Node, as `physml train` runs them: Deep Sets and clustering
 * pull batches from BatchReaders over files on disk; a corrupt entry pauses training with the
 * file, dataset and entry, the weights untouched, and skipping the entry continues.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { streamFileData } from '../../src/cli/fileData';
import { writeH5NodeFile } from '../../tools/writers/nodeWrite';
import { jaggedHitsDatasets } from '../../tools/writers/jaggedSets';
import { clusteringTask } from '../../src/tasks/clustering/task';
import { generateTrackEvents } from '../../src/tasks/clustering/data';
import { deepSetsTask } from '../../src/tasks/deepsets/task';
import { Trainer, type MetricPoint } from '../../src/train/trainer';
import type { TaskRun } from '../../src/tasks/types';
import { testEngine } from '../helpers/engine';
import { writeNumberedSets } from './helpers';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));

const small = {
  pool: 'mean',
  phiWidth: 16,
  phiDepth: 2,
  rhoWidth: 16,
  rhoDepth: 1,
  activation: 'relu',
  head: 'regression',
  batchCapacity: 1024,
  trainSets: 1,
  testSets: 1,
  seed: 1,
};

async function weights(run: TaskRun): Promise<Float32Array[]> {
  return Promise.all(run.parameters().map((p) => p.read()));
}

describe('Deep Sets from a stream', () => {
  it('trains on shuffled batches, validates on the split, and reports the data wait', async () => {
    const f = await writeNumberedSets(2000);
    cleanups.push(f.cleanup);
    const e = await testEngine();
    const { data, close } = await streamFileData({
      task: 'deepsets',
      seed: 3,
      data: { train: f.path, option: 'generic-sets:/sets/counts:/target', stream: true, batch: 64, split: 0.9 },
    });
    cleanups.push(close);
    const run = await deepSetsTask.create(e, small, data);
    expect(run.describe()).toMatch(/streaming 1800 training sets per epoch, validating on 200 sets/);
    const before = (await run.evaluate()).scalars;
    expect(before.entries).toBe(200);
    const trainer = new Trainer(e, run, { lr: 3e-3 }, 10);
    const points: MetricPoint[] = [];
    await trainer.runSteps(120, (p) => points.push(...p));
    const after = (await run.evaluate()).scalars;
    expect(after.mse).toBeLessThan(before.mse / 4);
    expect(points.every((p) => p.values.data_wait_ms >= 0 && p.values.input_fraction >= 0 && p.values.input_fraction <= 1)).toBe(true);
    const s = run.streamStats!();
    // 120 steps × 64 = 7,680 sets: epoch 4 of 1,800 sets, and the reader's count matches
    expect(s.epoch).toBe(4);
    expect(s.entriesRead).toBeGreaterThanOrEqual(120 * 64);
    trainer.dispose();
  }, 120_000);

  it('pauses at a corrupt entry (5,000 of 10,000) keeping the weights, and continues skipping it', async () => {
    const f = await writeNumberedSets(10_000, [5000]);
    cleanups.push(f.cleanup);
    const e = await testEngine();
    const { data, close } = await streamFileData({
      task: 'deepsets',
      seed: 1,
      data: { train: f.path, option: 'generic-sets:/sets/counts:/target', stream: true, batch: 500, split: 0.95, prefetch: 2 },
    });
    cleanups.push(close);
    const run = await deepSetsTask.create(e, small, data);
    const trainer = new Trainer(e, run, { lr: 1e-3 }, 1);
    // one epoch is 19 batches of 500 of the 9,500 training entries: entry 5000 is in one of them
    await trainer.runSteps(19, () => {});
    const reason = trainer.pauseReason!;
    expect(reason).not.toBeNull();
    expect(reason.data).toEqual({ file: 'sets.h5', dataset: '/sets/x0', entry: 5000 });
    expect(reason.message).toMatch(/sets\.h5 \/sets\/x0, entry 5000: value NaN/);
    const stopped = trainer.step;
    expect(stopped).toBeLessThan(19);
    const w0 = await weights(run);
    // asking again without skipping pauses again at once, changing nothing
    await trainer.runSteps(5, () => {});
    expect(trainer.pauseReason?.data?.entry).toBe(5000);
    expect(trainer.step).toBe(stopped);
    expect(await weights(run)).toEqual(w0);
    run.skipEntry!(5000);
    await trainer.runSteps(19 - stopped + 5, () => {});
    expect(trainer.pauseReason).toBeNull();
    expect(trainer.step).toBe(24);
    expect(run.streamStats!().skippedEntries).toBe(1);
    expect(await weights(run)).not.toEqual(w0);
    trainer.dispose();
  }, 120_000);
});

describe('clustering from a stream', () => {
  it('trains from a hits file and validates on a second file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stream-hits-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const write = async (name: string, seed: number, events: number) => {
      const hits = generateTrackEvents({ events, minTracks: 2, maxTracks: 4, layers: 10, noiseHits: 4, seed });
      await writeH5NodeFile(join(dir, name), jaggedHitsDatasets(hits, ['x', 'y', 'r']));
      return join(dir, name);
    };
    const train = await write('train.h5', 1, 200);
    const validation = await write('val.h5', 2, 40);
    const e = await testEngine();
    const { data, close, label } = await streamFileData({
      task: 'oc-clustering',
      seed: 1,
      data: { train, validation, batch: 8, eval_entries: 24 },
    });
    cleanups.push(close);
    expect(label).toMatch(/streaming \(train train\.h5, validation val\.h5; batch 8\)/);
    const run = await clusteringTask.create(e, { ...clusteringTask.defaults }, data);
    const before = (await run.evaluate()).scalars;
    expect(before.entries).toBe(24);
    const trainer = new Trainer(e, run, { lr: 3e-3 }, 10);
    await trainer.runSteps(60, () => {});
    const after = (await run.evaluate()).scalars;
    expect(Number.isFinite(after.loss)).toBe(true);
    expect(after.loss).toBeLessThan(before.loss);
    expect(run.streamStats!().epoch).toBe(2); // 60 × 8 = 480 entries of 200 per epoch
    trainer.dispose();
  }, 180_000);
});
