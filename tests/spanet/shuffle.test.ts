import { beforeAll, describe, expect, it } from 'vitest';
import { buildBatch, uploadBatch, disposeBatch } from '../../src/tasks/spanet/batch';
import { SPANET_DEFAULTS, spanetTask, type SpanetRun } from '../../src/tasks/spanet/task';
import type { Engine } from '../../src/tensor/engine';
import { testEngine } from '../helpers/engine';

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

const cfg = {
  ...SPANET_DEFAULTS,
  model: 'simple',
  demoEvents: 80,
  evalEvents: 16,
  batchSize: 8,
  width: 8,
  heads: 1,
  layers: 0,
  assignDim: 2,
  testFraction: 0.2,
};
const eventsOf = (run: SpanetRun) => run.train.map((b) => [...b.host.events]);

describe('epochs with shuffling (config shuffle)', () => {
  it('every epoch takes a new seeded permutation of the training events, the buffers hold it', async () => {
    const run = (await spanetTask.create(e, { ...cfg, shuffle: true })) as SpanetRun;
    const again = (await spanetTask.create(e, { ...cfg, shuffle: true })) as SpanetRun;
    try {
      const fileOrder = eventsOf(run);
      const nb = run.train.length;
      e.scope(() => {
        run.trainStep(0);
      });
      const epoch0 = eventsOf(run);
      expect(epoch0).not.toEqual(fileOrder);
      // a permutation of the training events (64 = 8 full batches, nothing dropped here)
      expect(epoch0.flat().sort((a, b) => a - b)).toEqual(fileOrder.flat().sort((a, b) => a - b));
      e.scope(() => {
        run.trainStep(nb - 1);
      });
      expect(eventsOf(run)).toEqual(epoch0);
      e.scope(() => {
        run.trainStep(nb);
      });
      const epoch1 = eventsOf(run);
      expect(epoch1).not.toEqual(epoch0);
      // the same seed gives the same epochs, also when a run starts (resumes) at epoch 1
      e.scope(() => {
        again.trainStep(nb + 3);
      });
      expect(eventsOf(again)).toEqual(epoch1);
      // the rewritten buffers equal a fresh upload of that batch
      const b = run.train[2];
      const fresh = uploadBatch(e, buildBatch(run.data, run.spec, b.host.events, cfg.batchSize), run.data, run.spec);
      expect(Array.from(await b.tokens.read())).toEqual(Array.from(await fresh.tokens.read()));
      expect(Array.from(await b.targets.read())).toEqual(Array.from(await fresh.targets.read()));
      expect(Array.from(await b.permuted.index[0].read())).toEqual(Array.from(await fresh.permuted.index[0].read()));
      disposeBatch(fresh);
    } finally {
      run.dispose();
      again.dispose();
    }
  });

  it('without shuffle the batches stay in file order', async () => {
    const run = (await spanetTask.create(e, cfg)) as SpanetRun;
    try {
      const before = eventsOf(run);
      e.scope(() => {
        run.trainStep(run.train.length * 2);
      });
      expect(eventsOf(run)).toEqual(before);
    } finally {
      run.dispose();
    }
  });
});
