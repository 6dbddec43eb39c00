/**
 * dataset_randomization as upstream SPANet v2: numpy.random.RandomState(seed).permutation of
 * the events before the train / validation ranges, each range sorted. Numbers from numpy
 * (tools/torch_fixtures/make_spanet_split_fixtures.py).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { prepareData } from '../../src/tasks/spanet/prepare';
import { eventOrder, Mt19937, numpyPermutation, randomizeEvents, splitRanges } from '../../src/tasks/spanet/split';
import { inferEventSpec } from '../../src/tasks/spanet/eventSpec';
import { sampleValues, tablesLayout } from '../../src/tasks/spanet/tables';
import { syntheticTtH } from './fixtures';

interface Summary {
  n: number;
  head: number[];
  tail: number[];
  weighted_sum: number;
}
const FX: {
  permutations: Record<string, number[]>;
  permutation_2024_100000: Summary;
  splits: { events: number; seed: number; dataset_limit: number; train_validation_split: number; train: Summary; validation: Summary }[];
} = JSON.parse(readFileSync(new URL('../fixtures/spanet-split/numpy_permutations.json', import.meta.url), 'utf8'));

function summary(a: ArrayLike<number>): Summary {
  const x = Array.from(a);
  let s = 0;
  x.forEach((v, i) => (s = (s + ((i * v) % 2 ** 31)) % 2 ** 31));
  return { n: x.length, head: x.slice(0, 10), tail: x.slice(-10), weighted_sum: s };
}

describe("numpy's legacy RandomState permutation", () => {
  it('MT19937 seeded as numpy gives the reference outputs', () => {
    // the MT19937 reference (mt19937ar.c) seeded by init_genrand(5489): first output 3499211612
    expect(new Mt19937(5489).next()).toBe(3499211612);
  });

  it('equals numpy.random.RandomState(seed).permutation(n)', () => {
    for (const [key, want] of Object.entries(FX.permutations)) {
      const [seed, n] = key.split(':').map(Number);
      expect(Array.from(numpyPermutation(n, seed)), key).toEqual(want);
    }
    // 100,000 events: past one MT19937 block many times, bounded draws with rejections
    expect(summary(numpyPermutation(100_000, 2024))).toEqual(FX.permutation_2024_100000);
  });

  it("gives upstream's training and validation index sets", () => {
    for (const c of FX.splits) {
      const { trainEvents, endEvent } = splitRanges(c.events, 1 - c.train_validation_split, c.dataset_limit);
      const order = eventOrder(c.events, c.seed, trainEvents, endEvent);
      const label = `${c.events} events, seed ${c.seed}`;
      expect(summary(order.subarray(0, trainEvents)), label).toEqual(c.train);
      expect(summary(order.subarray(trainEvents, endEvent)), label).toEqual(c.validation);
      // every event once
      expect(new Set(order).size).toBe(c.events);
    }
  });
});

describe('prepareData with dataset_randomization', () => {
  it('trains on the permuted training events, and seed 0 keeps the file order', () => {
    const t = syntheticTtH(40, 10);
    const spec = inferEventSpec(tablesLayout(t), (s, f) => sampleValues(t, s, f));
    const plain = prepareData(t, spec, 0.05, 1);
    const seeded = prepareData(t, spec, 0.05, 1, 42);
    expect(prepareData(t, spec, 0.05, 1, 0).jets).toEqual(plain.jets);
    expect(seeded.trainEvents).toBe(plain.trainEvents);
    const order = eventOrder(40, 42, seeded.trainEvents, seeded.endEvent);
    expect(Array.from(order.subarray(seeded.trainEvents))).toEqual(FX.splits[1].validation.head.slice(0, 2));
    // event e of the seeded data is event order[e] of the file, in every column
    const rowJets = plain.jets.length / 40;
    const rowTruth = plain.truth.length / 40;
    for (let e = 0; e < 40; e++) {
      const f = order[e];
      expect(seeded.jets.subarray(e * rowJets, (e + 1) * rowJets)).toEqual(plain.jets.subarray(f * rowJets, (f + 1) * rowJets));
      expect(seeded.truth.subarray(e * rowTruth, (e + 1) * rowTruth)).toEqual(plain.truth.subarray(f * rowTruth, (f + 1) * rowTruth));
    }
    const r = randomizeEvents(t, 42, 0.05, 1);
    expect(r.classifications['EVENT/signal'][0]).toBe(t.classifications['EVENT/signal'][order[0]]);
    expect(r.regressions['EVENT/log_invariant_mass'][5]).toBe(t.regressions['EVENT/log_invariant_mass'][order[5]]);
    // normalisation statistics come from the (different) training events
    expect(seeded.jetNorm.mean).not.toEqual(plain.jetNorm.mean);
  });
});
