import { it } from 'vitest';
import { spanetTask, SPANET_DEFAULTS } from '../../src/tasks/spanet/task';
import { Trainer } from '../../src/train/trainer';
import { testEngine } from '../helpers/engine';

it('speed', async () => {
  const e = await testEngine();
  const run = spanetTask.create(e, { ...SPANET_DEFAULTS, demoEvents: 1024 }) as any;
  console.log(run.describe());
  console.log(JSON.stringify((await run.evaluate()).scalars));
  const tr = new Trainer(e, run, { lr: 2e-3 }, 10);
  const t0 = performance.now();
  for (let round = 0; round < 8; round++) {
    const pts: any[] = [];
    await tr.runSteps(25, (p) => pts.push(...p));
    const last = pts[pts.length - 1];
    console.log(tr.step, ((performance.now() - t0) / tr.step).toFixed(0), 'ms/step', JSON.stringify(last.values));
  }
  console.log(JSON.stringify((await run.evaluate()).scalars));
  console.log(e.gpu.takeErrors());
}, 600000);
