import { beforeAll, describe, expect, it } from 'vitest';
import { packSets } from '../../src/data/packing';
import { DeepSet, type DeepSetConfig } from '../../src/nn/deepset';
import { seededRandom } from '../../src/nn/init';
import type { Engine } from '../../src/tensor/engine';
import { deepSetsTask, DeepSetsRun } from '../../src/tasks/deepsets/task';
import { testEngine } from '../helpers/engine';
import { expectClose } from '../helpers/opcheck';
import { rng } from '../helpers/random';
import { deepSetRef, learnableSetsData, randomSets } from './fixtures';

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

const config = (pool: DeepSetConfig['pool'], activation: DeepSetConfig['activation'] = 'relu'): DeepSetConfig => ({
  inputWidth: 3,
  phi: { width: 12, depth: 2 },
  rho: { width: 10, depth: 1 },
  outputs: 2,
  activation,
  pool,
  poolScale: 0.5,
});

describe('DeepSet', () => {
  // f32 forward of a 5-layer net with ≤ 12-term dot products and ≤ 9-row pools: ~1e-6
  // relative; 1e-4 absolute on O(1) outputs is far above rounding and far below any bug.
  for (const pool of ['sum', 'mean', 'max'] as const) {
    it(`${pool}: forward on a packed block (empty sets, padding rows and slots) matches the f64 reference`, async () => {
      const sets = randomSets(9, 9, 3, 11);
      const p = packSets(sets, { capacity: 64, maxSets: 12 });
      expect(p.blocks.length).toBe(1);
      const b = p.blocks[0];
      const model = new DeepSet(e, config(pool, pool === 'mean' ? 'gelu' : 'relu'), seededRandom(3));
      const x = e.fromArray(b.values, [64, 3]);
      const off = e.fromArray(b.offsets, [13], { dtype: 'i32' });
      const y = await e.scope(() => model.forward(x, off)).read();
      const expected = deepSetRef(model.config, await model.namedWeights(), b.values, b.offsets, 64);
      expectClose(y, expected.data, 1e-4, 1e-4, `${pool} deep set`);
      model.dispose();
    });
  }

  it('is invariant to the order of elements within a set and ignores padding rows', async () => {
    const sets = randomSets(6, 10, 3, 5, 1);
    const p = packSets(sets, { capacity: 80 });
    const b = p.blocks[0];
    // Reverse every set's rows and fill the padding rows with garbage.
    const shuffled = new Float32Array(b.values);
    for (let s = 0; s < b.numSets; s++) {
      const [a, z] = [b.offsets[s], b.offsets[s + 1]];
      for (let r = a; r < z; r++) shuffled.set(b.values.subarray((a + z - 1 - r) * 3, (a + z - r) * 3), r * 3);
    }
    const r = rng(1);
    for (let i = b.numElements * 3; i < shuffled.length; i++) shuffled[i] = 100 * r();
    for (const pool of ['sum', 'mean', 'max'] as const) {
      const model = new DeepSet(e, config(pool), seededRandom(4));
      const off = e.fromArray(b.offsets, [b.offsets.length], { dtype: 'i32' });
      const [y1, y2] = await Promise.all(
        [b.values, shuffled].map((v) => e.scope(() => model.forward(e.fromArray(v, [80, 3]), off)).read()),
      );
      // Reordered f32 sums of ≤ 10 terms differ by a few ulp.
      expectClose(y2, y1, 1e-5, 1e-5, `${pool} permuted`);
      model.dispose();
    }
  });
});

describe('Deep Sets training loss', () => {
  it('masks padding set slots: the loss equals the MSE over real sets only, in target units', async () => {
    const data = learnableSetsData(13, 6, 2);
    const run = new DeepSetsRun(
      e,
      { ...deepSetsTask.defaults, phiWidth: 8, phiDepth: 1, rhoWidth: 8, rhoDepth: 1, batchCapacity: 24, trainSets: 10, testSets: 3 },
      data,
    );
    const blocks = run.train.blocks;
    expect(blocks.some((b) => b.numSets < b.slots.length)).toBe(true); // some slots are padding
    for (const block of blocks) {
      const loss = await e.scope(() => run.blockLoss(block)).item();
      const out = await e.scope(() => run.model.forward(block.values, block.offsets)).read();
      let s = 0;
      block.slots.forEach((k, slot) => {
        if (k < 0) return;
        const pred = out[slot] * run.target.std + run.target.mean;
        s += (pred - run.split.train.targets[k]) ** 2;
      });
      // f32 loss of O(1) terms vs the f64 host sum: ~1e-6 relative.
      expect(loss).toBeCloseTo(s / block.numSets, 4);
    }
    run.dispose();
  });
});
