import { it } from 'vitest';
import { cosmicTaggingTask } from '../../src/tasks/cosmic/task';
import { Trainer } from '../../src/train/trainer';
import { testEngine } from '../helpers/engine';

it('profile', async () => {
  const e = await testEngine();
  for (const over of [{ normalization: 'none' }, { normalization: 'instance' }, { normalization: 'instance', imageSize: 64 }]) {
    const cfg = { ...cosmicTaggingTask.defaults, trainEvents: 8, testEvents: 3, imageSize: 16, batchSize: 2, filters: 4, bottleneckDeepest: 8, ...over };
    const run = await cosmicTaggingTask.create(e, cfg);
    const tr = new Trainer(e, run, {}, 5);
    await tr.runSteps(2, () => {});
    await e.gpu.finish();
    const d0 = e.gpu.dispatchCount;
    const t0 = performance.now();
    await tr.runSteps(5, () => {});
    await e.gpu.finish();
    console.log(JSON.stringify(over), ((performance.now() - t0) / 5).toFixed(0), 'ms/step', (e.gpu.dispatchCount - d0) / 5, 'dispatches/step');
    tr.dispose();
  }
});
