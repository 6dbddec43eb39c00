import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { RegressionKind } from '../../src/tasks/spanet/eventSpec';
import { upstreamLoss, type UpstreamLossInput, type UpstreamLossOptions } from '../../src/tasks/spanet/upstreamLoss';

// Values from upstream's training_step (tools/torch_fixtures/make_spanet_fixtures.py, float64).
const fx = JSON.parse(readFileSync(new URL('../fixtures/torch/spanet/loss_cases.json', import.meta.url), 'utf8'));

function input(): UpstreamLossInput {
  return {
    B: fx.B,
    N: fx.N,
    eventPerms: fx.event_permutations,
    particles: Object.entries<any>(fx.particles).map(([name, p]) => ({
      name,
      k: p.k,
      numTargets: p.num_targets,
      logp: p.logp.flat(),
      indices: p.indices.flat(),
      mask: p.mask,
      weight: p.weight,
      detection: p.detection,
    })),
    regressions: Object.entries<any>(fx.regressions).map(([name, r]) => ({
      name,
      kind: r.kind as RegressionKind,
      pred: r.pred,
      std: r.std,
      target: r.target.map((v: number | null) => v ?? NaN),
    })),
    classifications: Object.entries<any>(fx.classifications).map(([name, c]) => ({
      name,
      logits: c.logits.flat(),
      C: c.logits[0].length,
      target: c.target,
    })),
  };
}

const opts = (o: Record<string, number | string>): UpstreamLossOptions =>
  ({
    assignment_loss_scale: 1,
    detection_loss_scale: 0,
    regression_loss_scale: 0,
    classification_loss_scale: 0,
    focal_gamma: 0,
    combine_pair_loss: 'min',
    ...o,
  }) as UpstreamLossOptions;

// Both sides are f64 over ~100 terms: agreement to 1e-12 relative means the same formula.
// Except detection: upstream's BCE computes (1 - mask.float()) * x in place on the float32
// mask, so each event's term carries one f32 rounding (2^-24 relative): 1e-7 relative covers it
// and is still far below any formula difference (e.g. dividing by B instead of the present count).
const REL = 1e-12;
const REL_DET = 1e-7;
const close = (a: number, b: number, rel = REL) => expect(Math.abs(a - b)).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(b)));

describe("upstream SPANet loss (f64 reference) equals upstream's training_step", () => {
  fx.cases.forEach((c: any) => {
    it(`combine_pair_loss ${c.options.combine_pair_loss}, focal_gamma ${c.options.focal_gamma}`, () => {
      const x = input();
      const r = upstreamLoss(x, opts(c.options));
      close(r.total, c.total, c.options.detection_loss_scale > 0 ? REL_DET : REL);
      x.particles.forEach((p, i) => {
        // softmin weights come from assignment + detection totals, so they inherit that rounding
        close(r.assignment[i], c.logged[`loss/${p.name}/assignment_loss`], c.options.combine_pair_loss === 'softmin' ? REL_DET : REL);
        close(r.detection[i], c.logged[`loss/${p.name}/detection_loss`], REL_DET);
      });
      for (const k of Object.keys(fx.regressions))
        if (`loss/regression/${k}` in c.logged) close(r.regression[k], c.logged[`loss/regression/${k}`]);
      for (const k of Object.keys(fx.classifications)) close(r.classification[k], c.logged[`loss/classification/${k}`]);
    });
  });

  it('the permutation matters: scoring the swapped targets changes the loss', () => {
    const x = input();
    const a = upstreamLoss(x, opts(fx.cases[0].options));
    const b = upstreamLoss({ ...x, eventPerms: [[0, 1, 2]] }, opts(fx.cases[0].options));
    expect(a.bestPermutation.some((g) => g === 1)).toBe(true);
    expect(b.total).toBeGreaterThan(a.total);
  });
});
