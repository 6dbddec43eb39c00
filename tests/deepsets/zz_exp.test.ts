import { it } from 'vitest';
import { deepSetsTask, DeepSetsRun } from '../../src/tasks/deepsets/task';
import { Trainer } from '../../src/train/trainer';
import { testEngine } from '../helpers/engine';

it('exp', async () => {
  const e = await testEngine();
  const cfg = { ...deepSetsTask.defaults, ...JSON.parse(process.env.CFG ?? '{}') };
  const run = new DeepSetsRun(e, cfg);
  console.log(run.describe());
  const tr = new Trainer(e, run, { lr: Number(process.env.LR ?? 1e-3) }, 10);
  const every = Number(process.env.EVERY ?? 10);
  let t0 = performance.now();
  await tr.runSteps(2, () => {});
  await e.gpu.finish();
  console.log('first 2 steps', (performance.now() - t0).toFixed(0), 'ms');
  t0 = performance.now();
  let first = -1;
  const maxSteps = Number(process.env.STEPS ?? 300);
  const budget = Number(process.env.BUDGET ?? 100) * 1000;
  while (tr.step < maxSteps && performance.now() - t0 < budget) {
    await tr.runSteps(every, () => {});
    const ev = await tr.evaluate();
    console.log(tr.step, ev.scalars.loss.toFixed(4), ((performance.now() - t0) / (tr.step - 2)).toFixed(1), 'ms/step');
    if (ev.scalars.loss < 0.1 && first < 0) { first = tr.step; break; }
  }
  console.log('first <0.1 at', first, 'total', ((performance.now() - t0) / 1000).toFixed(1), 's');
  tr.dispose();
}, 600_000);
