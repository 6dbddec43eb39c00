/**
 * SPANet's example options files set balance_particles: a run with them now balances as
 * upstream (the weights of its training events, balance.ts), and its training step's loss is
 * the f64 reference's on the network's own outputs, with balance and KL options on.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { openNodeH5 } from '../../src/data/h5/node';
import { readSpanetEvents } from '../../src/data/spanet/reader';
import type { Engine } from '../../src/tensor/engine';
import { balanceUse, balanceWeights, slotWeights } from '../../src/tasks/spanet/balance';
import { spanetTask, SPANET_DEFAULTS, type SpanetRun } from '../../src/tasks/spanet/task';
import { eventTranspositions, upstreamLoss } from '../../src/tasks/spanet/upstreamLoss';
import { testEngine } from '../helpers/engine';
import { hasTtH, TTH_FILE } from './fixtures';
import { TINY_SPANET_NETWORK } from '../helpers/spanetTiny';

const optionsText = (file: string) => readFileSync(new URL(`../fixtures/spanet-upstream/options_files/${file}`, import.meta.url), 'utf8');
const eventText = (file: string) => readFileSync(new URL(`../fixtures/spanet-upstream/event_files/${file}`, import.meta.url), 'utf8');
const SMALL = {
  ...TINY_SPANET_NETWORK,
  batch_size: 8,
};

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

async function create(optionsFile: string, overrides: Record<string, unknown>, extra: Record<string, unknown> = {}, data?: unknown) {
  const config = {
    ...SPANET_DEFAULTS,
    demoEvents: 24,
    maxJets: 7,
    evalEvents: 8,
    optionsJson: optionsText(optionsFile),
    optionsOverrides: JSON.stringify({ ...SMALL, ...overrides }),
    ...extra,
  };
  return (await spanetTask.create(e, config, data as never)) as SpanetRun;
}

describe('example options train with balance_particles used', () => {
  it("full_hadronic_ttbar (+ balance_jets, kl_loss_scale 0.5): the step's loss is the f64 reference's on the network's outputs", async () => {
    const run = await create('full_hadronic_ttbar/example.json', { balance_jets: true, kl_loss_scale: 0.5 });
    try {
      expect(run.optionNotes).not.toMatch(/not used[^;]*balance_particles/);
      const step = run.trainStep(0);
      const got = (await step.loss.read())[0];
      const terms = Object.fromEntries(
        await Promise.all(Object.entries(step.metrics).map(async ([k, t]) => [k, (await t.read())[0]] as const)),
      );
      step.loss.dispose();
      Object.values(step.metrics).forEach((t) => t.dispose());
      expect(terms['symmetric loss']).toBeGreaterThan(0);
      // the batch that step used (epoch 0's shuffle), through the same network (no update in trainStep)
      const b = run.train[0];
      const out = e.scope(() => run.v2!.forward(b));
      const [logps, dets] = await Promise.all([
        Promise.all(out.logProbs.map((t) => t.read())),
        Promise.all(out.detection.map((t) => t.read())),
      ]);
      [...out.logProbs, ...out.detection, ...out.regression, ...out.classLogits].forEach((t) => t.dispose());
      const d = run.data,
        spec = run.spec,
        P = spec.particles.length,
        B = b.host.B;
      const ev = b.host.events;
      const o = { ...JSON.parse(optionsText('full_hadronic_ttbar/example.json')), ...SMALL, balance_jets: true, kl_loss_scale: 0.5 };
      const vectors = ev.map((x) => (x < 0 ? 0 : d.nJets[x] + d.globalSlices.length));
      const ref = upstreamLoss(
        {
          B,
          N: d.N,
          eventPerms: spec.eventPerms,
          particles: spec.particles.map((p, i) => ({
            name: p.name,
            k: p.products.length,
            numTargets: p.productPerms.length,
            logp: logps[i],
            indices: ev.flatMap((x) => Array.from({ length: p.products.length }, (_, a) => (x < 0 ? -1 : d.truth[(x * P + i) * 3 + a]))),
            mask: ev.map((x) => (x < 0 ? 0 : d.present[x * P + i])),
            weight: ev.map((x) => (x < 0 ? 0 : d.weights[x * P + i])),
            detection: dets[i],
          })),
          regressions: [],
          classifications: [],
          eventWeights: slotWeights(balanceWeights(spec, d), balanceUse(o), P, b.host.detection, vectors),
          transpositions: eventTranspositions(spec.eventPerms),
        },
        { ...o, regression_loss_scale: 0, classification_loss_scale: 0 },
      );
      // f32 network outputs through the loss: 1e-5 relative (the weights alone move it by O(1e-1))
      expect(Math.abs(got - ref.total)).toBeLessThanOrEqual(1e-5 * Math.max(1, ref.total));
      expect(Math.abs(terms['symmetric loss'] - ref.kl!)).toBeLessThanOrEqual(1e-5);
    } finally {
      run.dispose();
    }
  }, 120_000);

  it.skipIf(!hasTtH)(
    'semi_leptonic_ttH on its example file: balance_particles used, the step differs from the unbalanced one',
    async () => {
      const src = await openNodeH5(TTH_FILE);
      let events;
      try {
        events = readSpanetEvents(src);
      } finally {
        src.close?.();
      }
      const data = { events };
      const extra = { eventYaml: eventText('semi_leptonic_ttH.yaml') };
      const losses: number[] = [];
      for (const balance of [true, false]) {
        const run = await create('semi_leptonic_ttH/example.json', { balance_particles: balance, dataset_limit: 0.1 }, extra, data);
        try {
          if (balance) expect(run.optionNotes).not.toMatch(/not used[^;]*balance_particles/);
          const step = run.trainStep(0);
          losses.push((await step.loss.read())[0]);
          step.loss.dispose();
          Object.values(step.metrics).forEach((t) => t.dispose());
        } finally {
          run.dispose();
        }
      }
      expect(losses.every(Number.isFinite)).toBe(true);
      // same seed, same batch, same network: only the weights differ
      expect(Math.abs(losses[0] - losses[1])).toBeGreaterThan(1e-4);
    },
    120_000,
  );
});
