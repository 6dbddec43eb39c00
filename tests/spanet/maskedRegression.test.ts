import { beforeAll, describe, expect, it } from 'vitest';
import { SPANET_DEFAULTS, spanetTask, type SpanetRun } from '../../src/tasks/spanet/task';
import type { Engine } from '../../src/tensor/engine';
import { testEngine } from '../helpers/engine';
import { syntheticTtH } from './fixtures';

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

describe('regression loss with NaN targets (masked, as upstream)', () => {
  it('is the per-target mean over events with a value; NaN events get no weight', async () => {
    const tables = syntheticTtH(48, 10);
    const mass = tables.regressions['EVENT/log_invariant_mass'];
    for (let i = 0; i < mass.length; i += 3) mass[i] = NaN;
    const cfg = {
      ...SPANET_DEFAULTS,
      model: 'simple',
      evalEvents: 16,
      batchSize: 8,
      width: 8,
      heads: 1,
      layers: 0,
      assignDim: 2,
      testFraction: 0.25,
    };
    const run = (await spanetTask.create(e, cfg, { tables })) as SpanetRun;
    try {
      const b = run.test[0];
      const h = b.host;
      const R = run.spec.regressions.length;
      expect(R).toBe(1);
      const real = h.events.map((ev) => ev >= 0 && Number.isFinite(mass[ev]));
      const n = real.filter(Boolean).length;
      expect(n).toBeGreaterThan(0);
      expect(n).toBeLessThan(h.B);
      h.events.forEach((_, i) => expect(h.regressionWeights[i]).toBeCloseTo(real[i] ? 1 / n : 0, 7));
      const p = await run.predict(b);
      const { mean, std } = run.data.regNorm;
      let want = 0;
      for (let i = 0; i < h.B; i++) if (real[i]) want += ((p.regression[i] - mean[0]) / std[0] - h.regressions[i]) ** 2 / n;
      // f32 network outputs and a 8-term f32 sum: 1e-5 relative is far above rounding, far below a wrong mask
      expect(Math.abs(p.terms.regression - want)).toBeLessThanOrEqual(1e-5 * Math.max(1, want));
    } finally {
      run.dispose();
    }
  });
});
