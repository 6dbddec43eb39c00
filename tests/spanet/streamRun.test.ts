/**
 * SPANet trained from a stream (src/tasks/spanet/stream.ts) against the in-memory run
 * (SpanetRun) on the same file and events: the statistics pass equals prepareData's and
 * SpanetV2Model's statistics, and with the training stream in file order (shuffle off) both
 * models give the same losses step after step under the same optimiser and the same
 * evaluation scalars on the held-out events.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openNodeH5 } from '../../src/data/h5/node';
import type { H5Source } from '../../src/data/h5/source';
import { readSpanetEvents } from '../../src/data/spanet/reader';
import { EntryOrder } from '../../src/data/stream/order';
import { BatchReader } from '../../src/data/stream/reader';
import { SpanetEntryReader, type SpanetPayload } from '../../src/data/stream/spanetReader';
import type { SpanetStreamData, SpanetStreamRun } from '../../src/tasks/spanet/stream';
import { SPANET_DEFAULTS, spanetTask, type SpanetConfig, type SpanetRun } from '../../src/tasks/spanet/task';
import type { Engine } from '../../src/tensor/engine';
import { Trainer } from '../../src/train/trainer';
import { demoSpanetSpec } from '../../tools/writers/demoSpanet';
import { encodeSpanet } from '../../tools/writers/spanetEncode';
import { writeH5NodeFile } from '../../tools/writers/nodeWrite';
import { testEngine } from '../helpers/engine';

const EVENTS = 240;
const B = 16;
let e: Engine;
let dir = '';
let src: H5Source;
beforeAll(async () => {
  e = await testEngine();
  dir = mkdtempSync(join(tmpdir(), 'spanet-stream-'));
  await writeH5NodeFile(join(dir, 'tt.h5'), encodeSpanet(demoSpanetSpec({ events: EVENTS, maxJets: 8, seed: 21 })));
  src = await openNodeH5(join(dir, 'tt.h5'));
});
afterAll(() => {
  src?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const small = (model: string): SpanetConfig => ({
  ...SPANET_DEFAULTS,
  model,
  batchSize: B,
  width: 8,
  heads: 2,
  layers: 1,
  assignDim: 4,
  testFraction: 0.2,
  evalEvents: 10_000,
  shuffle: false,
});

/** The file as streams: training [0, trainEvents) in file order, the statistics in slices of 64, validation the rest. */
function streams(trainEvents: number): SpanetStreamData {
  const r = new SpanetEntryReader(src);
  const order = (start: number, end: number, batch: number, epochs?: number) =>
    new BatchReader<SpanetPayload>(r, new EntryOrder({ range: { start, end }, shuffle: false, batch, epochs }), { prefetch: 1 });
  return {
    kind: 'spanet-stream',
    train: order(0, trainEvents, B),
    stats: order(0, EVENTS, 64, 1),
    validation: order(trainEvents, EVENTS, B, 1),
  };
}

/** f32 tolerance: the statistics are f64 sums of the same f32 values (unbiased σ merged per slice: a few f64 ulps), stored as f32. */
const closeArrays = (a: ArrayLike<number>, b: ArrayLike<number>, rel = 1e-6) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(b[i])));
};

describe.each(['spanet-v2', 'simple'])('streamed SPANet (%s)', (model) => {
  it('statistics, losses over 6 steps and the evaluation equal the in-memory run on the same events', async () => {
    const mem = (await spanetTask.create(e, small(model), { events: readSpanetEvents(src) })) as SpanetRun;
    const trainEvents = mem.data.trainEvents;
    expect(trainEvents).toBe(192);
    const str = (await spanetTask.create(e, small(model), streams(trainEvents))) as SpanetStreamRun;
    // the trainers own the runs (their dispose disposes them)
    const tm = new Trainer(e, mem, { lr: 3e-3 }, 1);
    const ts = new Trainer(e, str, { lr: 3e-3 }, 1);
    try {
      const d = mem.data;
      const s = str.stats;
      expect(s.trainEvents).toBe(trainEvents);
      expect(s.classCounts).toEqual(d.classCounts);
      for (const k of ['jetNorm', 'globalNorm', 'regNorm'] as const) {
        closeArrays(s[k].mean, d[k].mean);
        closeArrays(s[k].std, d[k].std);
      }
      if (model === 'spanet-v2') {
        // the network's normalisers and regression heads as SpanetV2Model set them from the whole data
        const a = mem.v2!.network,
          b = str.v2!.network;
        for (let i = 0; i < a.embedding.inputs.length; i++) {
          const na = a.embedding.inputs[i].normalizer,
            nb = b.embedding.inputs[i].normalizer;
          if (!na || !nb) continue;
          closeArrays(await nb.mean.read(), await na.mean.read());
          closeArrays(await nb.std.read(), await na.std.read());
        }
        for (let r = 0; r < a.regressionDecoder.networks.entries.length; r++) {
          closeArrays(
            await b.regressionDecoder.networks.entries[r][1].std.read(),
            await a.regressionDecoder.networks.entries[r][1].std.read(),
          );
          closeArrays(
            await b.regressionDecoder.networks.entries[r][1].mean.read(),
            await a.regressionDecoder.networks.entries[r][1].mean.read(),
          );
        }
      }
      const losses = async (t: Trainer) => {
        const out: number[] = [];
        await t.runSteps(6, (p) => out.push(...p.map((q) => q.values.loss!)));
        return out;
      };
      const lm = await losses(tm);
      const ls = await losses(ts);
      expect(ls.length).toBe(6);
      // the same batches and weights: equal up to f32 rounding of the statistics (1e-6 relative), grown over 6 Adam steps
      closeArrays(ls, lm, 1e-4);
      expect(ls[5]).not.toBe(ls[0]);
      const em = await mem.evaluate();
      const es = await str.evaluate();
      expect(es.scalars.entries).toBe(EVENTS - trainEvents);
      for (const [k, v] of Object.entries(em.scalars)) {
        if (Number.isNaN(v)) expect(es.scalars[k]).toBeNaN();
        // losses to 1e-4 (as above); purities and accuracies are counts, equal unless a prediction sits on a tie
        else expect(Math.abs(es.scalars[k] - v), k).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(v)));
      }
      expect(es.figures?.map((f) => f.id)).toEqual(em.figures?.map((f) => f.id));
      expect(str.lastTestReport).not.toBeNull();
      // state dicts: the same names and shapes as the in-memory run's
      const [ka, kb] = (await Promise.all([mem.stateDict(), str.stateDict()])).map((sd) =>
        Object.entries(sd).map(([k, t]) => [k, t.shape]),
      );
      expect(kb).toEqual(ka);
    } finally {
      tm.dispose();
      ts.dispose();
    }
  }, 300_000);
});
