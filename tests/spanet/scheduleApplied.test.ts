/**
 * A SPANet run with an options file trains with the options' optimiser and learning-rate
 * schedule (config optionsOptimizer, on by default), whatever the caller's optimiser settings:
 * the lr the optimiser takes at every step equals the lr torch's optimiser has at that step
 * under upstream's own LambdaLR schedule (fixture by
 * tools/torch_fixtures/make_spanet_schedule_applied_fixtures.py from upstream 46c6805), for
 * both of SPANet's example options files, through the Trainer the app and physml train use.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTrainer } from '../../src/cli/optimizer';
import { spanetTask, SPANET_DEFAULTS, type SpanetRun } from '../../src/tasks/spanet/task';
import type { Engine } from '../../src/tensor/engine';
import { parseRunConfig } from '../../src/train/runConfig';
import { Trainer } from '../../src/train/trainer';
import { testEngine } from '../helpers/engine';
import { syntheticTtH } from './fixtures';
import { TINY_SPANET_NETWORK } from '../helpers/spanetTiny';

interface Case {
  options_file: string;
  overrides: Record<string, number>;
  events: number;
  train_events: number;
  steps_per_epoch: number;
  total_steps: number;
  warmup_steps: number;
  optimizer: string;
  weight_decay: [number, number];
  /** [step][group] */
  lr: number[][];
}
const FX: { cases: Record<string, Case> } = JSON.parse(
  readFileSync(new URL('../fixtures/torch/spanet/schedule_applied.json', import.meta.url), 'utf8'),
);
const optionsText = (file: string) => readFileSync(new URL(`../fixtures/spanet-upstream/options_files/${file}`, import.meta.url), 'utf8');

/** Small for SwiftShader; the optimiser options stay the example's. */
const SMALL = {
  ...TINY_SPANET_NETWORK,
  // the loss's particle balancing is beside the point here (tests/spanet/balance*.test.ts)
  balance_particles: false,
};
/** What a caller (the Train panel, RUN.json) asks for; the options file replaces all of it. */
const CALLER = { name: 'sgd', lr: 0.05, weight_decay: 0.1, clip_norm: 3, schedule: 'step', step_size: 2, gamma: 0.5 } as const;

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

async function create(name: string, extra: Record<string, unknown> = {}): Promise<SpanetRun> {
  const c = FX.cases[name];
  const config = {
    ...SPANET_DEFAULTS,
    demoEvents: c.events,
    maxJets: 7,
    evalEvents: 16,
    optionsJson: optionsText(c.options_file),
    optionsOverrides: JSON.stringify({ ...SMALL, ...c.overrides }),
    ...extra,
  };
  // tt̄: the synthetic demo events; ttH: random events in the ttH file's layout (event description inferred)
  const data = name === 'semi_leptonic_ttH' ? { tables: syntheticTtH(c.events, 10) } : undefined;
  return (await spanetTask.create(e, config, data)) as SpanetRun;
}

describe("SPANet options file: upstream's optimiser and schedule are applied", () => {
  for (const name of Object.keys(FX.cases)) {
    it(`${name}: the optimiser's lr at every step is upstream's LambdaLR value; groups and settings as upstream`, async () => {
      const c = FX.cases[name];
      const run = await create(name);
      try {
        expect(run.data.trainEvents).toBe(c.train_events);
        const steps = c.lr.length;
        const tr =
          name === 'semi_leptonic_ttH'
            ? new Trainer(e, run, CALLER, steps)
            : // physml train's path: RUN.json's optimizer section → createTrainer
              createTrainer(e, run, {
                ...parseRunConfig({ task: 'spanet', optimizer: CALLER, read_every: steps }, [spanetTask]),
                steps: 3,
              });
        expect(tr.config).toMatchObject({
          name: c.optimizer.toLowerCase(),
          lr: 0.0015,
          weight_decay: c.weight_decay[0],
          clip_norm: 0,
          beta1: 0.9,
          beta2: 0.999,
          eps: 1e-8,
          warmup_steps: c.warmup_steps,
          decay_steps: c.total_steps,
        });
        // upstream's decay_mask: no decay exactly for names containing "bias" or "LayerNorm.weight"
        const params = tr.optimizer.params;
        for (const p of params)
          expect([p.name, p.weightDecay]).toEqual([p.name, /bias|LayerNorm\.weight/.test(p.name) ? 0 : c.weight_decay[0]]);
        expect(params.some((p) => p.weightDecay === 0) && params.some((p) => p.weightDecay > 0)).toBe(true);
        // rank-1 norm scales, which the workbench's own rule leaves undecayed, decay as upstream's
        expect(params.some((p) => p.tensor.rank === 1 && p.name.endsWith('.weight') && p.weightDecay > 0)).toBe(true);

        const seen: number[] = [];
        const step = tr.optimizer.step.bind(tr.optimizer);
        tr.optimizer.step = (o) => {
          seen.push(tr.optimizer.lr);
          step(o);
        };
        const probe = params.find((p) => p.weightDecay > 0)!.tensor;
        const w0 = await probe.read();
        tr.trainStep();
        // step 0 has lr 0 (the warm-up starts at 0): the GPU update leaves the weights as they were
        expect(Array.from(await probe.read())).toEqual(Array.from(w0));
        for (let k = 1; k < steps; k++) tr.trainStep();
        const points = await tr.flush();
        expect(points.length).toBe(steps);
        expect(points.every((p) => Number.isFinite(p.values.loss))).toBe(true);
        // f64 on both sides, lr·λ(k) vs torch's base_lr·λ(k): a few ulps of 1.5e-3
        const want = c.lr.map((g) => g[0]);
        c.lr.forEach((g) => expect(g[1]).toBe(g[0])); // one schedule for both groups
        seen.forEach((lr, k) => expect(Math.abs(lr - want[k]), `step ${k}`).toBeLessThanOrEqual(1e-15));
        points.forEach((p, k) => expect(Math.abs(p.values.lr - want[k]), `step ${k}`).toBeLessThanOrEqual(1e-15));
        expect(seen.length).toBe(steps);
        // the schedule had warm-up, decay (restarts for ttH) and the end at 0
        expect(want[0]).toBe(0);
        expect(Math.max(...want)).toBeGreaterThan(1e-3);
        expect(want.at(-1)).toBe(0);
        // cosine with 5 hard restarts (ttH): the lr rises again after the warm-up's peak
        const afterPeak = want.slice(c.warmup_steps, -1);
        expect(afterPeak.some((v, i) => i > 0 && v > afterPeak[i - 1])).toBe(name === 'semi_leptonic_ttH');
        expect(run.describe()).toMatch(/options file: optimiser AdamW, lr 0\.0015, weight decay 0\.0002 .* \(applied/);
        tr.optimizer.dispose();
      } finally {
        run.dispose();
      }
    }, 120_000);
  }

  it('the caller overrides it: options overrides change single values, optionsOptimizer false restores the caller settings', async () => {
    const name = 'semi_leptonic_ttH';
    const c = FX.cases[name];
    const tuned = await create(name, {
      optionsOverrides: JSON.stringify({ ...SMALL, ...c.overrides, learning_rate: 0.01, gradient_clip: 2 }),
    });
    try {
      const tr = new Trainer(e, tuned, CALLER, 1);
      expect(tr.config).toMatchObject({ name: 'adamw', lr: 0.01, clip_norm: 2, schedule: 'warmup_cosine_restarts', cycles: 5 });
      expect(tr.schedule(c.warmup_steps)).toBe(0.01);
      tr.optimizer.dispose();
    } finally {
      tuned.dispose();
    }
    const off = await create(name, { optionsOptimizer: false });
    try {
      expect(off.optimizerPlan()).toBeNull();
      const tr = new Trainer(e, off, CALLER, 1);
      expect(tr.config).toMatchObject(CALLER);
      expect([0, 1, 2, 4].map(tr.schedule)).toEqual([0.05, 0.05, 0.025, 0.0125]);
      expect(off.describe()).toMatch(/not applied \(optionsOptimizer off\)/);
      tr.optimizer.dispose();
    } finally {
      off.dispose();
    }
  }, 120_000);
});
