/**
 * The browser's path in Node: the data worker's FileSessions serves a stream on MessagePorts
 * (the `stream` request), the training worker's side builds PortBatchSources from the other
 * ends (streamDataFromPorts) and Deep Sets trains from them; batches go port to port.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { openNodeH5 } from '../../src/data/h5/node';
import { streamDataFromPorts } from '../../src/data/stream/portData';
import type { PortLike } from '../../src/data/stream/port';
import { FileSessions } from '../../src/data/worker/session';
import { deepSetsTask } from '../../src/tasks/deepsets/task';
import { Trainer } from '../../src/train/trainer';
import { testEngine } from '../helpers/engine';
import { SETS_LAYOUT, writeNumberedSets } from './helpers';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));

describe('stream between the data worker and the training worker', () => {
  it('serves train and validation ports from two files and trains from them', async () => {
    const train = await writeNumberedSets(600);
    const val = await writeNumberedSets(100);
    cleanups.push(train.cleanup, val.cleanup);
    const sessions = new FileSessions();
    sessions.add('t', await openNodeH5(train.path), 0, true);
    sessions.add('v', await openNodeH5(val.path, 'val.h5'), 0, true);
    const ct = new MessageChannel();
    const cv = new MessageChannel();
    const opened = await sessions.openStream({
      files: { train: 't', validation: 'v' },
      option: { kind: 'generic-sets', layout: SETS_LAYOUT, target: '/target', targetKind: 'regression' },
      settings: { batch: 50, seed: 2, evalEntries: 60 },
      ports: { train: ct.port1, validation: cv.port1 },
    });
    expect(opened.epochSizes).toEqual({ train: 600, validation: 60 });
    const data = streamDataFromPorts({
      kind: 'stream-ports',
      payload: 'sets',
      ports: { train: ct.port2 as unknown as PortLike, validation: cv.port2 as unknown as PortLike },
    });
    const e = await testEngine();
    const run = await deepSetsTask.create(e, { ...deepSetsTask.defaults, phiWidth: 16, rhoWidth: 16, pool: 'mean' }, data);
    const before = await run.evaluate();
    expect(before.scalars.entries).toBe(60);
    const trainer = new Trainer(e, run, { lr: 3e-3 }, 5);
    await trainer.runSteps(30, () => {});
    expect(trainer.step).toBe(30);
    const s = run.streamStats!();
    expect(s.file).toBe('sets.h5');
    expect(s.epoch).toBe(2); // 30 × 50 = 1,500 entries of 600 per epoch
    const after = await run.evaluate();
    expect(after.scalars.mse).toBeLessThan(before.scalars.mse);
    trainer.dispose();
    sessions.close('t');
    sessions.close('v');
  }, 120_000);
});
