import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectKind } from '../../src/data/detect';
import { toFloat64 } from '../../src/data/h5/decode';
import { openNodeH5 } from '../../src/data/h5/node';
import { readSpanetEvents, spanetLayout } from '../../src/data/spanet/reader';
import { checkRagged, raggedRow } from '../../src/data/ragged';
import { SHARED_SPANET, hasSharedSpanet, smallSpanetSpec, spanetFixture, tmpDir } from './fixtures';

let t: ReturnType<typeof tmpDir>;
beforeAll(() => {
  t = tmpDir();
});
afterAll(() => t?.cleanup());

describe('SPANet writer → reader round trip', () => {
  it('gives ragged jets from MASK, targets, regressions, classifications', async () => {
    const spec = smallSpanetSpec(5);
    const src = await openNodeH5(await spanetFixture(t.dir, 'sp.h5', spec));
    try {
      const kind = detectKind(src);
      expect(kind.kind).toBe('spanet');
      const ev = readSpanetEvents(src);
      const jets = ev.sources.find((s) => s.name === 'Momenta')!;
      expect(jets.kind).toBe('sequential');
      expect(checkRagged(jets.data)).toBeNull();
      const L = 8;
      const mask = spec.sources[0]!.mask!;
      for (let e = 0; e < spec.nEvents; e++) {
        let c = 0;
        for (let j = 0; j < L; j++) c += mask[e * L + j]!;
        expect(jets.data.offsets[e + 1]! - jets.data.offsets[e]!).toBe(c);
      }
      // values: pt of event 3, jet rows in order
      const fi = jets.features.indexOf('pt');
      const rows = raggedRow(jets.data, 3);
      const pt = spec.sources[0]!.features['pt']!;
      for (let k = 0; k < rows.length / jets.data.width; k++)
        expect(rows[k * jets.data.width + fi]).toBeCloseTo(pt[3 * L + jets.position[jets.data.offsets[3]! + k]!]!, 4);
      const met = ev.sources.find((s) => s.name === 'Met')!;
      expect(met.kind).toBe('global');
      expect(met.data.offsets[spec.nEvents]).toBe(spec.nEvents);
      expect(Array.from(ev.targets['t1']!['b']!)).toEqual(Array.from(spec.targets['t1']!['b']! as Int32Array));
      expect(ev.regressions['EVENT/log_invariant_mass']![7]).toBeCloseTo(
        (spec.regressions!['EVENT/log_invariant_mass'] as Float32Array)[7]!,
        5,
      );
      expect(Array.from(ev.classifications['EVENT/signal']!)).toEqual(Array.from(spec.classifications!['EVENT/signal']!));
      // event range reads
      const part = readSpanetEvents(src, { start: 10, end: 12 });
      expect(Array.from(part.sources[0]!.data.values)).toEqual(
        Array.from(
          ev.sources[0]!.data.values.subarray(
            ev.sources[0]!.data.offsets[10]! * ev.sources[0]!.data.width,
            ev.sources[0]!.data.offsets[12]! * ev.sources[0]!.data.width,
          ),
        ),
      );
    } finally {
      src.close();
    }
  });
});

describe.skipIf(!hasSharedSpanet)('SPANet example file (shared/data)', () => {
  it('loads and shows inputs, targets, regressions and classifications', async () => {
    const src = await openNodeH5(SHARED_SPANET);
    try {
      const layout = spanetLayout(src);
      expect(layout.nEvents).toBe(1000);
      expect(layout.sources.map((s) => `${s.name}:${s.kind}`).sort()).toEqual(['Met:global', 'Momenta:sequential']);
      expect(layout.sources.find((s) => s.name === 'Momenta')!.maxLength).toBe(19);
      expect(layout.targets.map((x) => x.particle).sort()).toEqual(['h', 'ht', 'lt']);
      expect(layout.regressions).toContain('EVENT/neutrino_px');
      expect(layout.classifications).toEqual(['EVENT/signal']);
      const ev = readSpanetEvents(src, { start: 0, end: 100 }, layout);
      const jets = ev.sources.find((s) => s.name === 'Momenta')!;
      // event 0: the file's first row has 8 real jets; pt of jet 0 is 58.28…
      expect(jets.data.offsets[1]).toBe(8);
      expect(jets.data.values[jets.features.indexOf('pt')]).toBeCloseTo(58.2845, 3);
      // compare with a direct h5wasm read of MASK
      const mask = src.readNumeric('/INPUTS/Momenta/MASK', 0, 100);
      let n = 0;
      for (const m of mask) n += m ? 1 : 0;
      expect(jets.data.offsets[100]).toBe(n);
      expect(Array.from(ev.targets['h']!['b1']!.subarray(0, 3))).toEqual([-1, 3, 5]);
      expect(ev.classifications['EVENT/signal']![1]).toBe(1);
      const px = toFloat64(src.readNumeric('/REGRESSIONS/EVENT/neutrino_px', 0, 3));
      expect(ev.regressions['EVENT/neutrino_px']![1]).toBeCloseTo(px[1]!, 6);
    } finally {
      src.close();
    }
  });
});
if (!hasSharedSpanet) console.warn(`skipping SPANet example tests: ${SHARED_SPANET} not found`);
