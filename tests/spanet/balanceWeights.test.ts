import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openNodeH5 } from '../../src/data/h5/node';
import { readSpanetEvents } from '../../src/data/spanet/reader';
import { BalanceCounter, balanceWeights, equivalenceClasses } from '../../src/tasks/spanet/balance';
import { readEventFile } from '../../src/tasks/spanet/eventFile';
import { prepareData, type PreparedData } from '../../src/tasks/spanet/prepare';
import { tablesFromEvents } from '../../src/tasks/spanet/tables';
import { eventTranspositions } from '../../src/tasks/spanet/upstreamLoss';
import { hasTtH, TTH_FILE } from './fixtures';
import { balanceLossFixture, syntheticData } from './balanceFixture';

// upstream's compute_particle_balance / compute_vector_balance / compute_classification_balance
// on the training range (tools/torch_fixtures/make_spanet_balance_fixtures.py)
const FX = resolve(__dirname, '../fixtures/torch/spanet/balance');
const weightsFx = JSON.parse(readFileSync(resolve(FX, 'weights.json'), 'utf8'));
const FILES: Record<string, { file: string; yaml: string; present: boolean }> = {
  ttH: { file: TTH_FILE, yaml: resolve(__dirname, '../fixtures/spanet-upstream/event_files/semi_leptonic_ttH.yaml'), present: hasTtH },
  ttbar_demo: {
    file: resolve(__dirname, '../../public/demo/spanet_demo.h5'),
    yaml: resolve(__dirname, '../fixtures/spanet-eval/ttbar_demo.yaml'),
    present: true,
  },
};

// Upstream stores the particle weights as float32 after float64 arithmetic (2^-24 relative);
// its vector and class weights are float32 throughout: β = 1 − 1/E rounded to f32 moves
// (1 − β) by up to 2^-24/(1/E) ≈ 6e-5 relative at E = 950, common to every class and so
// mostly cancelled by the normalisation, plus f32 pow (seen: 1.1e-5 at most). 1e-6 / 5e-5
// relative hold them and are far below a formula difference (count vs count + 1 is ~1e-3 here,
// a wrong β or norm O(1)).
const REL_P = 1e-6;
const REL_F32 = 5e-5;
function expectRel(got: ArrayLike<number>, want: number[], rel: number, what: string) {
  expect(got.length, what).toBe(want.length);
  want.forEach((w, i) =>
    expect(Math.abs(got[i] - w), `${what}[${i}]: ${got[i]} vs ${w}`).toBeLessThanOrEqual(rel * Math.max(1e-3, Math.abs(w))),
  );
}

async function fileData(name: string, limit: number, split: number) {
  const f = FILES[name];
  const spec = readEventFile(readFileSync(f.yaml, 'utf8'));
  const src = await openNodeH5(f.file);
  try {
    return { spec, d: prepareData(tablesFromEvents(readSpanetEvents(src)), spec, 1 - split, limit) };
  } finally {
    src.close?.();
  }
}

function compare(c: any, spec: ReturnType<typeof readEventFile>, d: PreparedData) {
  expect(d.trainEvents).toBe(c.train_events);
  expect(spec.particles.map((p) => p.name)).toEqual(c.particles);
  const w = balanceWeights(spec, d);
  expectRel(w.particles, c.particle_weights, REL_P, 'particle weights');
  expectRel(w.vectors, c.jet_weights, REL_F32, 'jet weights');
  spec.classifications.forEach((k, i) => expectRel(w.classes[i], c.classification_weights[k], REL_F32, `class weights ${k}`));
  // the equivalence classes and transpositions as upstream's sympy code finds them
  const ours = equivalenceClasses(spec.particles.length, spec.eventPerms).map((members) =>
    members.map((m) => spec.particles.map((_, p) => p).filter((p) => m & (1 << p))),
  );
  const key = (x: number[][][]) =>
    x
      .map((cl) =>
        cl
          .map((s) => s.join(','))
          .sort()
          .join('|'),
      )
      .sort();
  expect(key(ours)).toEqual(key(c.equivalence_classes));
  expect(eventTranspositions(spec.eventPerms)).toEqual(c.transpositions);
  return w;
}

describe("balance weights equal upstream's dataset code", () => {
  for (const c of weightsFx.cases) {
    const f = FILES[c.name.replace(/_limit$/, '')];
    it.skipIf(!f.present)(`${c.name}: dataset_limit ${c.dataset_limit}, split ${c.train_validation_split}`, async () => {
      const { spec, d } = await fileData(c.name.replace(/_limit$/, ''), c.dataset_limit, c.train_validation_split);
      const whole = compare(c, spec, d);
      // fed in uneven slices, as a streamed pass feeds it: the same weights
      const acc = new BalanceCounter(spec);
      for (const [a, b] of [
        [0, 1],
        [1, 257],
        [257, d.trainEvents],
      ])
        acc.add(d, Math.min(a, d.trainEvents), Math.min(b, d.trainEvents));
      expect(acc.count).toBe(d.trainEvents);
      const sliced = acc.weights();
      expect(Array.from(sliced.particles)).toEqual(Array.from(whole.particles));
      expect(Array.from(sliced.vectors)).toEqual(Array.from(whole.vectors));
    });
  }

  it('the loss fixture events (S2 event group, three particles, three classes)', () => {
    const fx = balanceLossFixture();
    const { spec, d } = syntheticData(fx);
    compare({ ...fx.weights, train_events: fx.E }, spec, d);
  });

  it('weights move with the counts (a third of the events dropped changes them)', () => {
    const fx = balanceLossFixture();
    const { spec, d } = syntheticData(fx);
    const a = balanceWeights(spec, d, 0, fx.E),
      b = balanceWeights(spec, d, 0, Math.round(fx.E * 0.66));
    expect(Array.from(a.particles)).not.toEqual(Array.from(b.particles));
  });
});
