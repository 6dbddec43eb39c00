import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openNodeH5 } from '../../src/data/h5/node';
import { readSpanetEvents, spanetLayout } from '../../src/data/spanet/reader';
import { encodeNumbers } from '../../tools/writers/encode';
import type { DatasetSpec } from '../../tools/writers/h5write';
import type { DType } from '../../src/data/h5/types';
import { buildBatch } from '../../src/tasks/spanet/batch';
import { inferEventSpec } from '../../src/tasks/spanet/eventSpec';
import { prepareData } from '../../src/tasks/spanet/prepare';
import { tablesFromEvents, tablesLayout } from '../../src/tasks/spanet/tables';
import { smallSpanetSpec, spanetFixture, tmpDir } from '../data/fixtures';

const U1: DType = { kind: 'int', size: 1, signed: false, littleEndian: true };
const F4: DType = { kind: 'float', size: 4, littleEndian: true };

let t: ReturnType<typeof tmpDir>;
beforeAll(() => {
  t = tmpDir();
});
afterAll(() => t?.cleanup());

const spec = smallSpanetSpec(3);
const n = spec.nEvents;
// t1 marked absent in event 0 and present elsewhere, whatever its indices say
const mask = Array.from({ length: n }, (_, e) => (e === 0 ? 0 : 1));
const weight = Array.from({ length: n }, (_, e) => 0.5 + (e % 4) * 0.25);
const withMaskWeight = (w: number[]) => (d: DatasetSpec[]) => [
  ...d,
  { path: '/TARGETS/t1/MASK', type: U1, shape: [n], bytes: encodeNumbers(U1, mask) },
  { path: '/TARGETS/t1/WEIGHT', type: F4, shape: [n], bytes: encodeNumbers(F4, w) },
];

describe('TARGETS/<particle>/MASK and WEIGHT (upstream SPANet datasets)', () => {
  it('are read as the mask and weight, not as products, and decide presence', async () => {
    const src = await openNodeH5(await spanetFixture(t.dir, 'mw.h5', spec, withMaskWeight(weight)));
    try {
      const layout = spanetLayout(src);
      const t1 = layout.targets.find((x) => x.particle === 't1')!;
      expect(t1.products.sort()).toEqual(['b', 'q1', 'q2']);
      expect(t1).toMatchObject({ hasMask: true, hasWeight: true });
      expect(layout.targets.find((x) => x.particle === 't2')!.hasMask).toBeUndefined();
      const ev = readSpanetEvents(src);
      expect(Array.from(ev.targetMasks!.t1)).toEqual(mask);
      expect(Array.from(ev.targetWeights!.t1)).toEqual(weight);
      const tables = tablesFromEvents(ev);
      const es = inferEventSpec(tablesLayout(tables));
      const d = prepareData(tables, es, 0.2);
      const P = es.particles.length;
      const i1 = es.particles.findIndex((p) => p.name === 't1');
      // event 0's t1 is fully matched: only the MASK makes it absent
      expect(Array.from(d.truth.subarray((0 * P + i1) * 3, (0 * P + i1) * 3 + 3)).every((j) => j >= 0)).toBe(true);
      expect(d.present[0 * P + i1]).toBe(0);
      expect(Array.from({ length: n - 1 }, (_, e) => d.present[(e + 1) * P + i1])).toEqual(mask.slice(1));
      expect(d.weights[3 * P + i1]).toBeCloseTo(weight[3], 7);
      // detection target = mask, and the masked-out particle is not an assignment target
      const b = buildBatch(d, es, [0, 1], 2);
      expect(b.detection[0 * P + i1]).toBe(0);
      expect(b.detection[1 * P + i1]).toBe(1);
      const identity = es.eventPerms.findIndex((p) => p.every((v, i) => v === i));
      expect(b.targets[(identity * 2 + 0) * P + i1]).toBe(-1);
    } finally {
      src.close();
    }
  });

  it('a negative or NaN weight is an error naming the dataset and event', async () => {
    const bad = weight.slice();
    bad[5] = -1;
    const src = await openNodeH5(await spanetFixture(t.dir, 'bad.h5', spec, withMaskWeight(bad)));
    try {
      expect(() => readSpanetEvents(src)).toThrow(/TARGETS\/t1\/WEIGHT.*event 5: weight -1/);
    } finally {
      src.close();
    }
  });
});
