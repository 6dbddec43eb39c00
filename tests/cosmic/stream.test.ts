/**
 * Cosmic tagging trained from a stream (src/tasks/cosmic/stream.ts): larcv3 files read batch
 * by batch, densified and downsampled on the GPU. The first step's loss and metrics and a
 * whole validation pass equal the whole-file run's on the same events (so the GPU densify path
 * equals the old host path); a run on a train file validating on a second file learns; a bad
 * entry pauses training naming the entry, and skipping it continues.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFileData, streamFileData } from '../../src/cli/fileData';
import { openNodeH5 } from '../../src/data/h5/node';
import type { H5Source } from '../../src/data/h5/source';
import { entryReaderFor } from '../../src/data/stream/plan';
import { EntryOrder } from '../../src/data/stream/order';
import type { PlanesPayload } from '../../src/data/stream/planesPayload';
import { BatchReader } from '../../src/data/stream/reader';
import type { EntryReader } from '../../src/data/stream/types';
import { syntheticPlanes } from '../../src/tasks/cosmic/synthetic';
import { cosmicTaggingTask, type CosmicConfig } from '../../src/tasks/cosmic/task';
import type { PlanesStreamData } from '../../src/tasks/cosmic/stream';
import type { TaskRun } from '../../src/tasks/types';
import { Trainer } from '../../src/train/trainer';
import { denseToLarcv3 } from '../../tools/writers/denseToLarcv3';
import type { SparsePlane } from '../../tools/writers/larcv3Encode';
import { writeLarcv3File } from '../../tools/writers/nodeWriters';
import { testEngine } from '../helpers/engine';

const OPTION = 'larcv3-segmentation:wire,cosmicseg';
const LABELS = '/Data/sparse2d_cosmicseg_group/voxels';
let dir = '';
afterAll(() => dir && rmSync(dir, { recursive: true, force: true }));
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cosmic-stream-'));
});

/** A CosmicTagger-style file of synthetic events (charge "wire", labels "cosmicseg"); `badLabel` entries get a label 7. */
async function cosmicFile(name: string, events: number, seed: number, size = 32, badLabel: number[] = []): Promise<string> {
  const spec = denseToLarcv3(syntheticPlanes({ events, size, seed }), 'wire', 'cosmicseg');
  const label = spec.products[1]!.entries as SparsePlane[][];
  for (const e of badLabel) {
    const pl = label[e]![1]!;
    label[e]![1] = { ...pl, values: Array.from(pl.values, (v, k) => (k === 0 ? 7 : v)) };
  }
  const path = join(dir, name);
  await writeLarcv3File(path, spec);
  return path;
}

/**
 * A U-ResNet far smaller than the 'small' preset (2 initial filters, bottleneck 8): a training
 * step costs a third of the preset's on SwiftShader, and what these tests check (stream =
 * whole file, pausing on a bad entry) does not depend on the network's size. The test that
 * must learn in 10 steps takes the preset.
 */
const TINY_NET: Partial<CosmicConfig> = {
  network: 'custom',
  n_initial_filters: 2,
  blocks_per_layer: 1,
  blocks_deepest_layer: 1,
  blocks_final: 1,
  depth: 2,
  filter_size_deepest: '3',
  bottleneck_deepest: 8,
};

const config = (over: Partial<CosmicConfig> = {}): CosmicConfig => ({
  ...cosmicTaggingTask.defaults,
  ...TINY_NET,
  downsample: 1,
  batchSize: 2,
  ...over,
});

/** Batches of `range` in file order from a fresh reader of the file. */
function fileOrder(reader: EntryReader<unknown>, start: number, end: number, batch: number, epochs?: number) {
  return new BatchReader(reader as EntryReader<PlanesPayload>, new EntryOrder({ range: { start, end }, shuffle: false, batch, epochs }), {
    prefetch: 1,
  });
}

async function stepValues(run: TaskRun, step: number): Promise<Record<string, number>> {
  const e = await testEngine();
  await run.nextBatch?.(step);
  const out = e.scope(() => run.trainStep(step));
  const names = ['loss', ...Object.keys(out.metrics ?? {})];
  const tensors = [out.loss, ...Object.values(out.metrics ?? {})];
  const values = await Promise.all(tensors.map((t) => t.item()));
  tensors.forEach((t) => t.dispose());
  return Object.fromEntries(names.map((n, i) => [n, values[i]!]));
}

/** The value of every key of `want` in `got`, relative to max(1, |want|). */
function expectClose(got: Record<string, number>, want: Record<string, number>, tol: number) {
  expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
  for (const [k, v] of Object.entries(want)) {
    if (Number.isNaN(v)) expect(got[k], k).toBeNaN();
    else expect(Math.abs(got[k]! - v) / Math.max(1, Math.abs(v)), `${k}: ${got[k]} vs ${v}`).toBeLessThanOrEqual(tol);
  }
}

describe('cosmic tagging from a stream', () => {
  let src: H5Source;
  let path = '';
  beforeAll(async () => {
    path = await cosmicFile('ten.h5', 10, 21);
    src = await openNodeH5(path);
  });
  afterAll(() => src?.close());

  for (const [balance, downsample] of [
    ['light', 1],
    ['even', 1],
    ['focal', 0],
  ] as const) {
    it(`the first step and a validation pass equal the whole-file run's on the same events (${balance}, downsample ${downsample})`, async () => {
      const e = await testEngine();
      const c = config({ balance, downsample });
      // the whole-file run: events 0–7 train (batch 0 = events 0, 1), events 8, 9 test
      const whole = await cosmicTaggingTask.create(
        e,
        c,
        (await loadFileData(path, { task: 'cosmic-uresnet', data: { train: path } })).data,
      );
      const request = { kind: 'larcv3-segmentation' as const, imageProducer: 'wire', labelProducer: 'cosmicseg', entries: 10 };
      const data: PlanesStreamData = {
        kind: 'planes-stream',
        train: fileOrder(entryReaderFor(src, request), 0, 8, 2),
        validation: fileOrder(entryReaderFor(src, request), 8, 10, 2, 1),
      };
      const streamed = await cosmicTaggingTask.create(e, c, data);
      try {
        expect(streamed.describe()).toMatch(downsample ? /3×16×16 \(32×32 downsampled by 2 on the GPU\)/ : /3×32×32,/);
        // Same weights (same seed), same events; the GPU pools in f32 where the host sums in f64
        // (a few ulps in the pooled charge), so loss and batch metrics agree to 1e-5 relative.
        const a = await stepValues(whole, 0);
        const b = await stepValues(streamed, 0);
        expect(a.loss).toBeGreaterThan(0);
        expectClose(b, a, 1e-5);
        const va = await whole.evaluate();
        const vb = await streamed.evaluate();
        expectClose(vb.scalars, { ...va.scalars, entries: 2 }, 1e-5);
        expect(vb.figures!.map((f) => f.id)).toEqual(va.figures!.map((f) => f.id));
        // the confusion matrix, and the event display of the same event (entry 8 = the whole-file run's test event 0)
        expect(vb.figures![0]!.z).toEqual(va.figures![0]!.z);
        const [da, db] = [va.figures![1]!, vb.figures![1]!];
        expect(db.planes!.layers.map((l) => l.id)).toEqual(['cosmic-input', 'cosmic-truth', 'cosmic-prediction']);
        expect(db.planes!.layers[1]!.values).toEqual(da.planes!.layers[1]!.values);
        expect(db.title).toMatch(/^validation entry 8: /);
      } finally {
        whole.dispose();
        streamed.dispose();
      }
    }, 180_000);
  }

  it('trains from a train file while validating on a second file: the validation loss falls and the mIoU rises', async () => {
    const e = await testEngine();
    const train = await cosmicFile('train.h5', 24, 1);
    const validation = await cosmicFile('val.h5', 6, 2);
    const c = config({ balance: 'light', network: 'small' });
    const { data, close, label } = await streamFileData({ task: 'cosmic-uresnet', seed: 3, config: c, data: { train, validation } });
    try {
      expect(label).toMatch(/streaming \(train train\.h5, validation val\.h5; batch 2\)/);
      const run = await cosmicTaggingTask.create(e, c, data);
      expect(run.describe()).toMatch(/streaming 24 training events per epoch, validating on 6 events of val\.h5/);
      const before = (await run.evaluate()).scalars;
      expect(before.entries).toBe(6);
      const trainer = new Trainer(e, run, { lr: 1e-2 }, 5);
      const losses: number[] = [];
      // 10 steps: SwiftShader on shared CPUs takes seconds per step
      await trainer.runSteps(10, (p) => losses.push(...p.map((q) => q.values.loss!)));
      expect(trainer.pauseReason).toBeNull();
      const after = (await run.evaluate()).scalars;
      expect(after.entries).toBe(6);
      expect(after.loss).toBeLessThan(before.loss * 0.7);
      expect(after['Average/mIoU']).toBeGreaterThan(before['Average/mIoU']! + 0.05);
      expect(losses.length).toBe(10);
      expect(losses.slice(-3).reduce((a, x) => a + x, 0)).toBeLessThan(losses.slice(0, 3).reduce((a, x) => a + x, 0));
      const s = run.streamStats!();
      expect(s.file).toBe('train.h5');
      expect(s.epochSize).toBe(24);
      expect(s.entriesRead).toBeGreaterThanOrEqual(20);
      trainer.dispose();
    } finally {
      close();
    }
  }, 600_000);

  it('a bad entry pauses training naming the file, dataset and entry, keeps the weights, and skipping it continues', async () => {
    const e = await testEngine();
    const bad = await cosmicFile('bad.h5', 8, 5, 16, [5]);
    const c = config({ balance: 'light', downsample: 0 });
    const { data, close } = await streamFileData({
      task: 'cosmic-uresnet',
      seed: 1,
      config: c,
      data: { train: bad, option: OPTION, stream: true, split: 0.9, prefetch: 1 },
    });
    try {
      const run = await cosmicTaggingTask.create(e, c, data);
      expect(run.describe()).toMatch(/streaming 7 training events per epoch/);
      const trainer = new Trainer(e, run, { lr: 1e-3 }, 1);
      // 7 training entries in batches of 2: entry 5 comes up within the first epoch (4 batches)
      await trainer.runSteps(4, () => {});
      const reason = trainer.pauseReason!;
      expect(reason).not.toBeNull();
      expect(reason.data).toEqual({ file: 'bad.h5', dataset: LABELS, entry: 5 });
      expect(reason.message).toMatch(/bad\.h5 \/Data\/sparse2d_cosmicseg_group\/voxels, entry 5: label 7/);
      const stopped = trainer.step;
      expect(stopped).toBeLessThan(4);
      const w0 = await Promise.all(run.parameters().map((p) => p.read()));
      await trainer.runSteps(2, () => {});
      expect(trainer.pauseReason?.data?.entry).toBe(5);
      expect(trainer.step).toBe(stopped);
      expect(await Promise.all(run.parameters().map((p) => p.read()))).toEqual(w0);
      run.skipEntry!(5);
      await trainer.runSteps(2, () => {});
      expect(trainer.pauseReason).toBeNull();
      expect(trainer.step).toBe(stopped + 2);
      expect(run.streamStats!().skippedEntries).toBe(1);
      expect(await Promise.all(run.parameters().map((p) => p.read()))).not.toEqual(w0);
      trainer.dispose();
    } finally {
      close();
    }
  }, 300_000);
});
