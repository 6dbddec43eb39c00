import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readOptionsJson } from '../../src/tasks/spanet/options';
import { pythonRound, upstreamSchedule } from '../../src/tasks/spanet/schedule';
import { makeSchedule } from '../../src/train/schedule';

// lr multipliers from upstream's schedule functions through torch's LambdaLR (make_spanet_fixtures.py).
const fx = JSON.parse(readFileSync(new URL('../fixtures/torch/spanet/schedules.json', import.meta.url), 'utf8'));

/** Options giving warm-up W and total T with one event per step. */
const optionsFor = (W: number, T: number, cycles: number) =>
  readOptionsJson(
    JSON.stringify({
      batch_size: 1,
      epochs: T,
      learning_rate_warmup_epochs: W,
      learning_rate_cycles: cycles,
      learning_rate: 0.5,
    }),
  ).options;

describe('upstream SPANet learning-rate schedule', () => {
  fx.cases.forEach((c: { warmup: number; total: number; cycles: number; factors: number[] }) => {
    it(`warm-up ${c.warmup}, ${c.total} steps, ${c.cycles} cycles equals torch's LambdaLR`, () => {
      const s = upstreamSchedule(optionsFor(c.warmup, c.total, c.cycles), 1);
      expect([s.warmupSteps, s.totalSteps]).toEqual([c.warmup, c.total]);
      // f64 both sides, the same formula: 1e-12
      c.factors.forEach((f, k) => expect(Math.abs(s.factor(k) - f)).toBeLessThanOrEqual(1e-12));
      if (c.cycles <= 1) {
        // expressible in the workbench's own schedules: the same lr per step
        const lr = makeSchedule({ step_size: 1, gamma: 1, ...s.optimizer } as Parameters<typeof makeSchedule>[0]);
        c.factors.forEach((f, k) => expect(Math.abs(lr(k) - 0.5 * f)).toBeLessThanOrEqual(1e-12));
      } else expect(s.optimizer).toBeNull();
    });
  });

  it("counts steps as upstream: drop_last batches per epoch, Python's round for the warm-up", () => {
    const o = readOptionsJson(JSON.stringify({ batch_size: 32, epochs: 500, learning_rate_warmup_epochs: 1.0 })).options;
    const s = upstreamSchedule(o, 950);
    expect([s.stepsPerEpoch, s.totalSteps, s.warmupSteps]).toEqual([29, 14500, 29]);
    expect([pythonRound(2.5), pythonRound(3.5), pythonRound(2.4), pythonRound(2.6)]).toEqual([2, 4, 2, 3]);
    expect(upstreamSchedule({ ...o, learning_rate_warmup_epochs: 0.5, batch_size: 190 }, 950).warmupSteps).toBe(2);
  });
});
