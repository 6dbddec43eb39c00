import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readEventFile } from '../../src/tasks/spanet/eventFile';
import { longestCommonSubstring, spanetTestReport } from '../../src/tasks/spanet/testReport';

// Numbers from upstream's spanet.test evaluate_predictions on made-up predictions
// (tools/torch_fixtures/make_spanet_fixtures.py); the event descriptions below have the
// particles, products and symmetries of upstream's two event files.
const fx = JSON.parse(readFileSync(new URL('../fixtures/torch/spanet/evaluation_cases.json', import.meta.url), 'utf8'));
const INPUTS = 'INPUTS:\n  SEQUENTIAL:\n    Jets:\n      pt: log_normalize\n';
const EVENTS: Record<string, string> = {
  'semi_leptonic_ttH.yaml': `${INPUTS}EVENT:\n  lt: [b]\n  ht: [b, q1, q2]\n  h: [b1, b2]\nPERMUTATIONS:\n  ht:\n    - [q1, q2]\n  h:\n    - [b1, b2]\n`,
  'full_hadronic_ttbar.yaml': `${INPUTS}EVENT:\n  t1: [q1, q2, b]\n  t2: [q1, q2, b]\nPERMUTATIONS:\n  EVENT:\n    - [t1, t2]\n  t1:\n    - [q1, q2]\n  t2:\n    - [q1, q2]\n`,
};

describe("spanet.test's tables", () => {
  fx.cases.forEach((c: any) => {
    it(`equal upstream's numbers for ${c.event_file}`, () => {
      const spec = readEventFile(EVENTS[c.event_file]);
      const r = spanetTestReport({
        spec,
        numVectors: c.num_vectors,
        lines: fx.lines,
        predictions: c.predictions.map((p: number[][]) => p.flat()),
        targets: c.targets.map((t: number[][]) => t.flat()),
        masks: c.masks,
      });
      expect(r.jetLimits).toEqual(c.jet_limits);
      expect(r.clusters.map((x) => [x.name, x.particles, x.indices])).toEqual(c.clusters);
      for (const limit of c.jet_limits) {
        expect(Object.keys(r.results[limit]).sort()).toEqual(Object.keys(c.results[limit]).sort());
        for (const [k, v] of Object.entries<number | null>(c.results[limit])) {
          const ours = r.results[limit][k];
          // ratios of small counts, both computed in f64: equal to 1e-12
          if (v === null) expect(ours, `${limit} ${k}`).toBeNaN();
          else expect(Math.abs(ours - v), `${limit} ${k}`).toBeLessThanOrEqual(1e-12);
        }
      }
    });
  });

  it("names clusters as upstream's longest common substring", () => {
    expect(longestCommonSubstring(['t1', 't2'])).toBe('t');
    expect(longestCommonSubstring(['ht'])).toBe('ht');
    expect(longestCommonSubstring(['w_plus', 'w_minus'])).toBe('w_');
  });
});

describe('spanet.test tables in the task evaluation', () => {
  it('agree with the task’s own purity on complete events (type 2t, Full)', async () => {
    const { testEngine } = await import('../helpers/engine');
    const { SPANET_DEFAULTS, spanetTask } = await import('../../src/tasks/spanet/task');
    const e = await testEngine();
    const run = (await spanetTask.create(e, {
      ...SPANET_DEFAULTS,
      model: 'simple',
      demoEvents: 96,
      evalEvents: 32,
      batchSize: 8,
      width: 8,
      heads: 1,
      layers: 0,
      assignDim: 2,
    })) as import('../../src/tasks/spanet/task').SpanetRun;
    try {
      const { scalars, figures } = await run.evaluate();
      const rep = run.lastTestReport!;
      // the whole report reaches the page as tables: every held-out event, detection metrics included
      expect(rep.events).toBe(run.test.reduce((a, b) => a + b.host.events.filter((x) => x >= 0).length, 0));
      expect(rep.events).toBeGreaterThan(0);
      expect(rep.validation['particle/f_score']).toBeGreaterThanOrEqual(0);
      const ids = figures!.filter((f) => f.kind === 'table').map((f) => f.id);
      expect(ids).toEqual(['spanet-test-tables', 'spanet-jet-accuracy', 'spanet-detection']);
      expect(rep.clusters.map((c) => c.name)).toEqual(['t']);
      expect(rep.jetLimits.at(-1)).toBe('Full');
      expect(scalars['spanet.test Full: *t event purity']).toBe(rep.results.Full['*t/event_purity']);
      // both: every particle right, up to t1 <-> t2 and q1 <-> q2, over events with both tops complete
      expect(rep.results.Full['2t/event_purity']).toBeCloseTo(scalars['event purity'], 12);
      const props = ['0t', '1t', '2t'].map((t) => rep.results.Full[`${t}/event_proportion`]);
      expect(props.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    } finally {
      run.dispose();
    }
  });
});
