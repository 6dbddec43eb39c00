import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openNodeH5 } from '../../src/data/h5/node';
import type { H5Source } from '../../src/data/h5/source';
import { readSpanetEvents } from '../../src/data/spanet/reader';
import { BatchReader } from '../../src/data/stream/reader';
import { EntryOrder } from '../../src/data/stream/order';
import { SpanetEntryReader, type SpanetPayload } from '../../src/data/stream/spanetReader';
import { StreamDataError } from '../../src/data/stream/types';
import { tablesFromEvents, type SpanetTables } from '../../src/tasks/spanet/tables';
import { demoSpanetSpec } from '../../tools/writers/demoSpanet';
import { encodeSpanet } from '../../tools/writers/spanetEncode';
import { writeH5NodeFile } from '../../tools/writers/nodeWrite';
import { hasTtH, TTH_FILE } from '../spanet/fixtures';

/** Event `e` of whole-file tables as a one-event table, for comparing with a payload's item. */
function eventOf(t: SpanetTables, e: number) {
  const cut = <T extends { subarray(a: number, b: number): T }>(a: T, w: number) => Array.from(a.subarray(e * w, (e + 1) * w) as never);
  return {
    sources: t.sources.map((s) => ({
      name: s.name,
      features: Object.fromEntries(Object.entries(s.features).map(([k, v]) => [k, cut(v, s.maxLength)])),
      mask: s.mask ? cut(s.mask, s.maxLength) : null,
    })),
    targets: Object.fromEntries(
      Object.entries(t.targets).map(([p, q]) => [p, Object.fromEntries(Object.entries(q).map(([k, v]) => [k, v[e]]))]),
    ),
    masks: Object.fromEntries(Object.entries(t.targetMasks ?? {}).map(([k, v]) => [k, v[e]])),
    weights: Object.fromEntries(Object.entries(t.targetWeights ?? {}).map(([k, v]) => [k, v[e]])),
    regressions: Object.fromEntries(Object.entries(t.regressions).map(([k, v]) => [k, v[e]])),
    classifications: Object.fromEntries(Object.entries(t.classifications).map(([k, v]) => [k, v[e]])),
  };
}

/** Every item of the payload equals the whole-file reader's event (exactly: the same f32 values). */
function expectSame(p: SpanetPayload, whole: SpanetTables) {
  expect(p.nEvents).toBe(p.entries.length);
  for (let i = 0; i < p.nEvents; i++) expect(eventOf(p, i)).toEqual(eventOf(whole, p.entries[i]));
}

describe('SpanetEntryReader', () => {
  let dir: string;
  let bad: H5Source;
  let demo: H5Source;
  const N = 300;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'spanet-reader-'));
    const spec = demoSpanetSpec({ events: N, maxJets: 9, seed: 3 });
    await writeH5NodeFile(join(dir, 'demo.h5'), encodeSpanet(spec));
    demo = await openNodeH5(join(dir, 'demo.h5'));
    // a NaN pt on a real jet of entry 150, an out-of-range jet index at entry 220
    const L = spec.sources[0].maxLength!;
    const jets = spec.sources.find((s) => s.mask)!;
    (jets.features.pt as Float32Array)[150 * L] = NaN;
    (spec.targets.t1.b as Int32Array)[220] = 40;
    await writeH5NodeFile(join(dir, 'bad.h5'), encodeSpanet(spec));
    bad = await openNodeH5(join(dir, 'bad.h5'));
  });
  afterAll(() => {
    demo?.close();
    bad?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives the events readSpanetEvents gives, for shuffled entries with runs and duplicates, in the order asked', () => {
    const whole = tablesFromEvents(readSpanetEvents(demo));
    const r = new SpanetEntryReader(demo);
    expect(r.entries).toBe(N);
    const asked = Uint32Array.from([17, 5, 6, 7, 299, 0, 8, 250, 251, 17, 1]);
    const p = r.read(asked);
    expect(Array.from(p.entries)).toEqual(Array.from(asked));
    expectSame(p, whole);
    // a shuffled pass of the whole file in batches of 32
    const order = new EntryOrder({ range: { start: 0, end: N }, shuffle: true, seed: 9, batch: 32, epochs: 1 });
    for (let b = order.next(); b; b = order.next()) expectSame(r.read(b.entries), whole);
  });

  it('reads each dataset once per run of consecutive entries', () => {
    let reads = 0;
    const counting: H5Source = new Proxy(demo, {
      get: (t, k) =>
        k === 'readNumeric' ? (...a: Parameters<H5Source['readNumeric']>) => (reads++, t.readNumeric(...a)) : Reflect.get(t, k),
    });
    const r = new SpanetEntryReader(counting);
    const datasets = reads; // none at construction (layout is metadata)
    expect(datasets).toBe(0);
    r.read(Uint32Array.from([40, 41, 42, 43, 10, 11, 12, 90]));
    const perRun = reads / 3;
    // MASK + 6 jet features + 2 MET features + 6 targets + 1 regression + 1 classification
    expect(perRun).toBe(1 + 6 + 2 + 6 + 1 + 1);
  });

  it('reads only the datasets a selection names', () => {
    const whole = tablesFromEvents(readSpanetEvents(demo));
    const r = new SpanetEntryReader(demo, {
      inputs: [{ name: 'Momenta', features: [{ name: 'pt' }, { name: 'btag' }] }],
      particles: [{ name: 't1', products: ['b', 'q1', 'q2'] }],
      regressions: [],
      classifications: [],
    });
    const p = r.read(Uint32Array.from([3, 4, 100]));
    expect(p.sources.map((s) => [s.name, Object.keys(s.features)])).toEqual([['Momenta', ['pt', 'btag']]]);
    expect(Object.keys(p.targets)).toEqual(['t1']);
    expect(Array.from(p.sources[0].features.pt.subarray(0, 9))).toEqual(
      Array.from(whole.sources.find((s) => s.name === 'Momenta')!.features.pt.subarray(27, 36)),
    );
    expect(
      () =>
        new SpanetEntryReader(demo, {
          inputs: [{ name: 'Momenta', features: [{ name: 'nope' }] }],
          particles: [],
          regressions: [],
          classifications: [],
        }),
    ).toThrow(/INPUTS\/Momenta\/nope/);
  });

  it('a bad value mid-file fails the batch naming the file, dataset and entry; the batch without it reads', async () => {
    const r = new SpanetEntryReader(bad);
    const e1 = (() => {
      try {
        r.read(Uint32Array.from([149, 150, 151, 10]));
      } catch (e) {
        return e;
      }
    })() as StreamDataError;
    expect(e1).toBeInstanceOf(StreamDataError);
    expect([e1.file, e1.dataset, e1.entry]).toEqual(['bad.h5', '/INPUTS/Momenta/pt', 150]);
    expect(e1.message).toMatch(/NaN/);
    const e2 = (() => {
      try {
        r.read(Uint32Array.from([221, 220]));
      } catch (e) {
        return e;
      }
    })() as StreamDataError;
    expect([e2.dataset, e2.entry]).toEqual(['/TARGETS/t1/b', 220]);
    expect(r.read(Uint32Array.from([149, 151])).nEvents).toBe(2);
    // through a BatchReader: the batch fails, skip(150) and it reads
    const br = new BatchReader(r, new EntryOrder({ range: { start: 140, end: 160 }, shuffle: false, batch: 20, epochs: 1 }), {
      prefetch: 0,
    });
    await expect(br.next()).rejects.toMatchObject({ entry: 150, dataset: '/INPUTS/Momenta/pt' });
    br.skip(150);
    const b = await br.next();
    expect(b!.payload.nEvents).toBe(19);
    expect(b!.skipped).toBe(1);
  });

  it.skipIf(!hasTtH)("SPANet's ttH example: equal to readSpanetEvents (TARGETS MASK, two inputs)", async () => {
    const src = await openNodeH5(TTH_FILE);
    try {
      const whole = tablesFromEvents(readSpanetEvents(src));
      const r = new SpanetEntryReader(src);
      expectSame(r.read(Uint32Array.from([999, 3, 2, 1, 500, 501, 0])), whole);
    } finally {
      src.close();
    }
  });
});
