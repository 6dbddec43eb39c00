import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectKind } from '../../src/data/detect';
import { DataFileError } from '../../src/data/errors';
import { readGenericJagged, readGenericTable } from '../../src/data/generic/reader';
import { openNodeH5 } from '../../src/data/h5/node';
import { buildTree, formatTree } from '../../src/data/h5/tree';
import { previewDataset, histogram } from '../../src/data/preview';
import { writeH5NodeFile } from '../../tools/writers/nodeWrite';
import { encodeNumbers, encodeColumns } from '../../tools/writers/encode';
import type { DType } from '../../src/data/h5/types';
import { larcv3Fixture, spanetFixture, tmpDir } from './fixtures';

const F8: DType = { kind: 'float', size: 8, littleEndian: true };
const I4: DType = { kind: 'int', size: 4, signed: true, littleEndian: true };
const S8: DType = { kind: 'string', size: 8, vlen: false, ascii: true };
let t: ReturnType<typeof tmpDir>;
beforeAll(() => {
  t = tmpDir();
});
afterAll(() => t?.cleanup());

async function genericFile(): Promise<string> {
  const p = join(t.dir, 'generic.h5');
  const rowT: DType = {
    kind: 'compound',
    size: 12,
    members: [
      { name: 'a', offset: 0, type: F8 },
      { name: 'b', offset: 8, type: I4 },
    ],
  };
  await writeH5NodeFile(p, [
    { path: '/table/x', type: F8, shape: [5], bytes: encodeNumbers(F8, [1, 2, 3, 4, 5]) },
    { path: '/table/y', type: F8, shape: [5], bytes: encodeNumbers(F8, [10, 20, 30, 40, 50]) },
    { path: '/hits/values', type: F8, shape: [6], bytes: encodeNumbers(F8, [1, 2, 3, 4, 5, 6]) },
    { path: '/hits/offsets', type: I4, shape: [4], bytes: encodeNumbers(I4, [0, 2, 2, 6]) },
    { path: '/rows', type: rowT, shape: [3], bytes: encodeColumns(rowT, 3, { a: [0.5, 1.5, 2.5], b: [7, 8, 9] }) },
  ]);
  return p;
}

describe('kind detection', () => {
  it('larcv3, SPANet and generic files', async () => {
    const l = await openNodeH5(await larcv3Fixture(t.dir, 'l.h5'));
    expect(detectKind(l).kind).toBe('larcv3');
    l.close();
    const s = await openNodeH5(await spanetFixture(t.dir, 's.h5'));
    expect(detectKind(s).kind).toBe('spanet');
    s.close();
    const g = await openNodeH5(await genericFile());
    try {
      const tree = buildTree(g);
      const k = detectKind(g, tree);
      expect(k.kind).toBe('generic');
      if (k.kind !== 'generic') return;
      const cols = k.layout.tables.find((x) => x.kind === 'columns')!;
      expect(cols.path).toBe('/table');
      expect(Array.from(readGenericTable(g, cols)['y'] as Float64Array)).toEqual([10, 20, 30, 40, 50]);
      const comp = k.layout.tables.find((x) => x.kind === 'compound')!;
      expect(Array.from(readGenericTable(g, comp, 1, 3)['b'] as Float64Array)).toEqual([8, 9]);
      expect(k.layout.jagged).toEqual([{ values: '/hits/values', offsets: '/hits/offsets', mode: 'offsets' }]);
      const j = readGenericJagged(g, k.layout.jagged[0]!);
      expect(Array.from(j.offsets)).toEqual([0, 2, 2, 6]);
      expect(formatTree(tree)).toContain('rows  [3]  {a: <f8, b: <i4}');
    } finally {
      g.close();
    }
  });

  it('an HDF5 file of none of these kinds is a typed error', async () => {
    const p = join(t.dir, 'strings.h5');
    await writeH5NodeFile(p, [{ path: '/notes/text', type: S8, shape: [2], bytes: new TextEncoder().encode('hello\0\0\0world\0\0\0') }]);
    const src = await openNodeH5(p);
    try {
      expect(src.readStrings('/notes/text')).toEqual(['hello', 'world']);
      let err: unknown;
      try {
        detectKind(src);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(DataFileError);
      expect((err as DataFileError).code).toBe('unknown-kind');
      expect((err as DataFileError).file).toBe('strings.h5');
    } finally {
      src.close();
    }
  });
});

describe('preview', () => {
  it('first rows and histograms of numeric and compound datasets', async () => {
    const src = await openNodeH5(await larcv3Fixture(t.dir, 'pv.h5'));
    try {
      const pv = previewDataset(src, '/Data/sparse2d_data_group/voxels', 5);
      expect(pv.columns).toEqual(['id', 'value']);
      expect(pv.rows.length).toBe(5);
      expect(pv.totalRows).toBe(src.info('/Data/sparse2d_data_group/voxels').shape[0]);
      const hv = pv.histograms.find((h) => h.column === 'value')!;
      expect(hv.counts.reduce((a, b) => a + b, 0)).toBe(pv.totalRows);
      const meta = previewDataset(src, '/Data/sparse2d_data_group/image_meta', 2);
      expect(meta.rows[0]![meta.columns.indexOf('number_of_voxels')]).toBe('[64, 64]');
      const img = previewDataset(src, '/Data/image2d_coarse_group/images', 3);
      expect(img.columns).toEqual(['images']);
      expect(img.histograms[0]!.sampled).toBe(src.info('/Data/image2d_coarse_group/images').shape[0]);
    } finally {
      src.close();
    }
  });
  it('histogram bins', () => {
    const h = histogram('x', [0, 1, 2, 3, NaN], 3);
    expect(h.counts).toEqual([1, 1, 2]);
    expect(h.nonFinite).toBe(1);
    expect(h.edges[0]).toBe(0);
    expect(h.edges[3]).toBe(3);
  });
});
