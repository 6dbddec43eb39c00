/**
 * SPANet streamed the app's way, in Node: the data worker's FileSessions makes the statistics
 * pass over the training file and serves the roles on MessagePorts; the statistics travel
 * (structured-cloned, as postMessage does) with the ports to the training worker's side
 * (streamDataFromPorts, payload 'spanet') and the run trains from them. The statistics equal
 * physml train's (the pass inside SpanetStreamRun.create); the options file's batch size,
 * ranges, dataset_randomization and optimiser plan apply as in the in-memory run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openNodeH5 } from '../../src/data/h5/node';
import type { PortLike } from '../../src/data/stream/port';
import { streamDataFromPorts } from '../../src/data/stream/portData';
import { spanetSetup, spanetStreamOrders, statisticsSource } from '../../src/data/stream/spanetPlan';
import { readSpanetEvents } from '../../src/data/spanet/reader';
import { numpyPermutation } from '../../src/tasks/spanet/split';
import { SpanetEntryReader } from '../../src/data/stream/spanetReader';
import { FileSessions } from '../../src/data/worker/session';
import type { SpanetStreamRun } from '../../src/tasks/spanet/stream';
import { spanetStreamConfig } from '../../src/tasks/spanet/streamStats';
import { SPANET_DEFAULTS, spanetTask, type SpanetRun } from '../../src/tasks/spanet/task';
import { Trainer } from '../../src/train/trainer';
import { demoSpanetSpec } from '../../tools/writers/demoSpanet';
import { writeH5NodeFile } from '../../tools/writers/nodeWrite';
import { encodeSpanet } from '../../tools/writers/spanetEncode';
import { testEngine } from '../helpers/engine';

let dir = '';
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'spanet-workers-'));
  await writeH5NodeFile(join(dir, 'train.h5'), encodeSpanet(demoSpanetSpec({ events: 200, maxJets: 8, seed: 3 })));
  await writeH5NodeFile(join(dir, 'val.h5'), encodeSpanet(demoSpanetSpec({ events: 40, maxJets: 8, seed: 4 })));
  // entry 33's first jet (always present: at least 6 jets) has a NaN pt
  const bad = demoSpanetSpec({ events: 40, maxJets: 8, seed: 5 });
  (bad.sources[0].features as Record<string, Float32Array>).pt[33 * 8] = NaN;
  await writeH5NodeFile(join(dir, 'bad.h5'), encodeSpanet(bad));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// a tiny spanet-v2 through an options file (batch_size, split and optimiser from it)
const OPTIONS = {
  hidden_dim: 8,
  transformer_dim: 8,
  initial_embedding_dim: 4,
  position_embedding_dim: 4,
  num_encoder_layers: 1,
  num_branch_embedding_layers: 1,
  num_branch_encoder_layers: 1,
  num_jet_encoder_layers: 1,
  num_detector_layers: 1,
  batch_size: 10,
  train_validation_split: 0.75,
  optimizer: 'AdamW',
  learning_rate: 0.003,
  l2_penalty: 0.0001,
};
const config = (extra: Record<string, unknown> = {}) => ({
  ...SPANET_DEFAULTS,
  optionsJson: JSON.stringify({ ...OPTIONS, ...extra }),
});

async function sessionsWith(...files: string[]): Promise<FileSessions> {
  const s = new FileSessions();
  for (const f of files) s.add(f, await openNodeH5(join(dir, `${f}.h5`), `${f}.h5`), 0, true);
  return s;
}

describe("SPANet streamed between the workers (the app's path)", () => {
  it('the data worker makes the statistics pass, the ports carry them, and the run trains and validates on a second file', async () => {
    const sessions = await sessionsWith('train', 'val');
    const [ct, cv] = [new MessageChannel(), new MessageChannel()];
    const seen: number[] = [];
    const cfg = config();
    const opened = await sessions.openStream(
      {
        files: { train: 'train', validation: 'val' },
        option: { kind: 'spanet-events', events: 200 },
        settings: { batch: 32, seed: 1, evalEntries: 0 },
        ports: { train: ct.port1, validation: cv.port1 },
        spanet: { config: cfg },
      },
      (f) => seen.push(f),
    );
    // with a validation file the whole training file trains; the pass reported its progress up to the end
    expect(opened.epochSizes).toEqual({ train: 200, validation: 40 });
    expect(seen.at(-1)).toBe(1);
    const setup = opened.spanet!;
    expect(setup.trainEvents).toBe(200);
    // physml train's pass (SpanetStreamRun.create without given statistics) on the same file gives the same statistics
    const src = await openNodeH5(join(dir, 'train.h5'));
    const own = await spanetSetup(statisticsSource(new SpanetEntryReader(src), 200), spanetStreamConfig(cfg), 200);
    src.close();
    expect(setup.statistics).toEqual(own.statistics);
    expect(setup.spec).toEqual(own.spec);

    const data = streamDataFromPorts({
      kind: 'stream-ports',
      payload: 'spanet',
      ports: { train: ct.port2 as unknown as PortLike, validation: cv.port2 as unknown as PortLike },
      files: { train: 'train.h5', validation: 'val.h5' },
      epochSizes: opened.epochSizes,
      spanet: structuredClone(setup),
    });
    const e = await testEngine();
    const run = (await spanetTask.create(e, cfg, data)) as SpanetStreamRun;
    // the options file's optimiser (AdamW, its learning rate) is the run's plan, named on the data line
    expect(run.optimizerPlan()?.optimizer).toMatchObject({ name: 'adamw', lr: 0.003 });
    expect(run.describe()).toContain('options file:');
    expect(run.describe()).toContain('streaming 200 training events per epoch, validating on 40 events of val.h5');
    const trainer = new Trainer(e, run, { lr: 1e-3 }, 1);
    try {
      const losses: number[] = [];
      await trainer.runSteps(25, (p) => losses.push(...p.map((q) => q.values.loss!)));
      expect(losses.length).toBe(25);
      expect(losses.every(Number.isFinite)).toBe(true);
      // batches of the options' batch_size, not the settings' 32: 25 × 10 = 250 events, into the second epoch
      expect(run.streamState()).toMatchObject({ epoch: 1, position: 50, batch: 10 });
      const ev = await run.evaluate();
      expect(ev.scalars.entries).toBe(40);
    } finally {
      trainer.dispose();
      sessions.close('train');
      sessions.close('val');
    }
  }, 240_000);

  it("without a validation file, upstream's split of the training file (train_validation_split, dataset_randomization as the in-memory run)", async () => {
    const sessions = await sessionsWith('train', 'val');
    const ports = () => ({ train: new MessageChannel().port1, validation: new MessageChannel().port1 });
    const request = (extra: Record<string, unknown> = {}, files: { train: string; validation?: string } = { train: 'train' }) => ({
      files,
      option: { kind: 'spanet-events' as const, events: 200 },
      settings: { batch: 32, seed: 1, trainFraction: 0.95 },
      ports: ports(),
      spanet: { config: config(extra) },
    });
    const opened = await sessions.openStream(request());
    expect(opened.epochSizes).toEqual({ train: 150, validation: 50 });
    expect(opened.spanet!.trainEvents).toBe(150);
    expect(opened.spanet!.statistics.trainEvents).toBe(150);

    // dataset_randomization: the split's ranges are sets of numpy's permutation; the statistics are the in-memory run's
    const randomized = await sessions.openStream(request({ dataset_randomization: 7 }));
    expect(randomized.epochSizes).toEqual({ train: 150, validation: 50 });
    const s = randomized.spanet!.statistics;
    expect(s.jetNorm.mean).not.toEqual(opened.spanet!.statistics.jetNorm.mean);
    const src = await openNodeH5(join(dir, 'train.h5'));
    const e = await testEngine();
    const mem = (await spanetTask.create(e, config({ dataset_randomization: 7 }), { events: readSpanetEvents(src) })) as SpanetRun;
    src.close();
    try {
      expect(mem.data.trainEvents).toBe(150);
      expect(s.classCounts).toEqual(mem.data.classCounts);
      // f32 tolerance: f64 sums of the same f32 values in the same order (as streamRun.test.ts), stored as f32
      for (const k of ['jetNorm', 'globalNorm', 'regNorm'] as const)
        for (const part of ['mean', 'std'] as const) {
          const [a, b] = [s[k][part], mem.data[k][part]];
          expect(a.length).toBe(b.length);
          a.forEach((v, i) => expect(Math.abs(v - b[i])).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(b[i]))));
        }
    } finally {
      mem.dispose();
    }
    // the training set is upstream's: the sorted first 150 of RandomState(7).permutation(200)
    const { orders } = spanetStreamOrders({ train: 200 }, config({ dataset_randomization: 7 }), { seed: 1 }, { validationFile: false });
    expect([...orders.train!.set!]).toEqual([...numpyPermutation(200, 7).slice(0, 150)].sort((a, b) => a - b));
    // with a validation file there is no split to permute: refused, naming the option
    await expect(sessions.openStream(request({ dataset_randomization: 7 }, { train: 'train', validation: 'val' }))).rejects.toThrow(
      /dataset_randomization 7: .* a validation file; set dataset_randomization to 0/,
    );
    sessions.close('train');
    sessions.close('val');
  }, 120_000);

  it('bad data: the statistics pass leaves a bad training entry out and names it, training pauses there and continues once it is skipped; a bad validation entry fails the evaluation naming it', async () => {
    const sessions = await sessionsWith('train', 'bad');
    const ports = () => ({ train: new MessageChannel().port1, validation: new MessageChannel().port1 });
    const request = (files: { train: string; validation?: string }) => ({
      files,
      option: { kind: 'spanet-events' as const, events: 40 },
      settings: { batch: 32, seed: 1 },
      ports: ports(),
      spanet: { config: config() },
    });
    {
      const [ct, cv] = [new MessageChannel(), new MessageChannel()];
      // 40 events split 0.95 as upstream: 38 train, so entry 33 trains and the statistics come from the other 37
      const split = config({ train_validation_split: 0.95 });
      const opened = await sessions.openStream({
        ...request({ train: 'bad' }),
        spanet: { config: split },
        ports: { train: ct.port1, validation: cv.port1 },
      });
      const st = opened.spanet!.statistics;
      expect(opened.epochSizes.train).toBe(38);
      expect(st.leftOut.map((b) => b.entry)).toEqual([33]);
      expect(st.leftOut[0].problem).toMatch(/bad\.h5.*entry 33/);
      expect(st.trainEvents).toBe(37);
      const data = streamDataFromPorts({
        kind: 'stream-ports',
        payload: 'spanet',
        ports: { train: ct.port2 as unknown as PortLike, validation: cv.port2 as unknown as PortLike },
        epochSizes: opened.epochSizes,
        spanet: opened.spanet,
      });
      const e = await testEngine();
      const run = (await spanetTask.create(e, split, data)) as SpanetStreamRun;
      expect(run.describe()).toMatch(/left out 1 unreadable entry: .*entry 33/);
      const trainer = new Trainer(e, run, { lr: 1e-3 }, 1);
      try {
        const perEpoch = Math.floor(38 / run.config.batchSize);
        await trainer.runSteps(perEpoch, () => {});
        expect(trainer.pauseReason?.data?.entry).toBe(33);
        const stopped = trainer.step;
        run.skipEntry(33);
        await trainer.runSteps(perEpoch - stopped + 1, () => {});
        expect(trainer.pauseReason).toBeNull();
        expect(run.streamStats().skippedEntries).toBe(1);
      } finally {
        trainer.dispose();
      }
    }
    const [ct, cv] = [new MessageChannel(), new MessageChannel()];
    const opened = await sessions.openStream({
      ...request({ train: 'train', validation: 'bad' }),
      ports: { train: ct.port1, validation: cv.port1 },
    });
    const data = streamDataFromPorts({
      kind: 'stream-ports',
      payload: 'spanet',
      ports: { train: ct.port2 as unknown as PortLike, validation: cv.port2 as unknown as PortLike },
      epochSizes: opened.epochSizes,
      spanet: opened.spanet,
    });
    const e = await testEngine();
    const run = await spanetTask.create(e, config(), data);
    try {
      await expect(run.evaluate()).rejects.toMatchObject({ entry: 33, file: 'bad.h5' });
    } finally {
      run.dispose();
      sessions.close('train');
      sessions.close('bad');
    }
  }, 120_000);
});
