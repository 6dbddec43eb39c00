/**
 * The Trainer settings a SPANet options file turns into (upstreamOptimizerPlan) give
 * upstream's LambdaLR values through the workbench's schedules: warmup_linear for
 * learning_rate_cycles < 1, the new warmup_cosine_restarts otherwise (torch's values from
 * make_spanet_fixtures.py schedule_cases, upstream 46c6805). No GPU.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readOptionsJson } from '../../src/tasks/spanet/options';
import { upstreamOptimizerPlan } from '../../src/tasks/spanet/schedule';
import { resolveOptimizerConfig } from '../../src/train/optim';
import { makeSchedule } from '../../src/train/schedule';

const fx = JSON.parse(readFileSync(new URL('../fixtures/torch/spanet/schedules.json', import.meta.url), 'utf8'));
const options = (o: Record<string, unknown>) => readOptionsJson(JSON.stringify(o)).options;

describe("upstream's schedules as Trainer settings", () => {
  fx.cases.forEach((c: { warmup: number; total: number; cycles: number; factors: number[] }) => {
    it(`warm-up ${c.warmup}, ${c.total} steps, ${c.cycles} cycles: the Trainer's lr is torch's`, () => {
      // one event per step: epochs = steps
      const o = options({
        batch_size: 1,
        epochs: c.total,
        learning_rate_warmup_epochs: c.warmup,
        learning_rate_cycles: c.cycles,
        learning_rate: 0.5,
      });
      const plan = upstreamOptimizerPlan(o, 1);
      expect(plan.optimizer.schedule).toBe(c.cycles < 1 ? 'warmup_linear' : 'warmup_cosine_restarts');
      const lr = makeSchedule(resolveOptimizerConfig(plan.optimizer));
      // f64 both sides, lr·λ vs torch's base_lr·λ: a few ulps
      c.factors.forEach((f, k) => expect(Math.abs(lr(k) - 0.5 * f), `step ${k}`).toBeLessThanOrEqual(1e-15));
    });
  });

  it("warmup_cosine_restarts keeps upstream's guards: a warm-up as long as the run, no warm-up", () => {
    const base = { lr: 1, schedule: 'warmup_cosine_restarts' as const, cycles: 2 };
    // W = T = 4: k/4 below W, 1 at k = W, then 0 (upstream: max(1, T − W) in the denominator; torch gives
    // [0, 0.25, 0.5, 0.75, 1, 0, …] for these arguments)
    const long = makeSchedule(resolveOptimizerConfig({ ...base, warmup_steps: 4, decay_steps: 4 }));
    expect([0, 1, 2, 3, 4, 5, 9].map(long)).toEqual([0, 0.25, 0.5, 0.75, 1, 0, 0]);
    // W = 0, T = 8, 2 cycles: restarts at k = 4 (½(1 + cos 0) = 1)
    const none = makeSchedule(resolveOptimizerConfig({ ...base, warmup_steps: 0, decay_steps: 8 }));
    expect(none(0)).toBe(1);
    expect(none(2)).toBeCloseTo(0.5, 15);
    expect(none(4)).toBe(1);
    expect(none(8)).toBe(0);
    expect(() => makeSchedule(resolveOptimizerConfig({ ...base, cycles: 0, decay_steps: 8 }))).toThrow(/cycles ≥ 1/);
  });

  it('maps the optimiser names as upstream and refuses what it cannot run', () => {
    const o = (x: Record<string, unknown>) => upstreamOptimizerPlan(options({ batch_size: 1, epochs: 10, ...x }), 4);
    expect(o({ optimizer: 'Adam' }).optimizer.name).toBe('adam');
    expect(o({ optimizer: 'SGD' }).optimizer.name).toBe('sgd');
    expect(o({ optimizer: 'apex_lamb' }).optimizer.name).toBe('adamw');
    expect(o({ optimizer: 'apex_lamb' }).summary).toMatch(/apex is not available/);
    expect(() => o({ optimizer: 'RMSprop' })).toThrow(/optimizer "RMSprop" is not available/);
    expect(o({ gradient_clip: 0.5 }).optimizer.clip_norm).toBe(0.5);
    // upstream's decay mask is by substring of the state-dict name
    const { noDecay } = o({});
    expect(['a.bias', 'x.bias_hh', 'm.LayerNorm.weight'].map(noDecay!)).toEqual([true, true, true]);
    expect(['a.weight', 'norm.weight', 'm.LayerNorm.bias_free'].map(noDecay!)).toEqual([false, false, true]);
    // a linear schedule whose warm-up covers every epoch never decays: refused with the numbers
    expect(() => o({ learning_rate_cycles: 0, learning_rate_warmup_epochs: 10 })).toThrow(/covers all 40 steps of 10 epochs/);
  });
});
