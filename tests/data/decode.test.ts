import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as H5 from 'h5wasm';
import { decodeCompound, decodeNumericMember, findMember } from '../../src/data/h5/decode';
import { nodeH5Lib, openNodeH5 } from '../../src/data/h5/node';
import { VOXEL_T } from '../../src/data/larcv3/layout';
import { concatRagged, offsetsFromCounts } from '../../src/data/ragged';
import { encodeColumns } from '../../tools/writers/encode';
import { writeH5NodeFile } from '../../tools/writers/nodeWrite';
import { tmpDir } from './fixtures';

let t: ReturnType<typeof tmpDir>;
beforeAll(() => {
  t = tmpDir();
});
afterAll(() => t?.cleanup());

describe('raw compound decoding', () => {
  it('matches h5wasm .value (speed: scripts/bench-decode.ts)', async () => {
    const n = 200_000;
    const ids = Array.from({ length: n }, (_, i) => i * 7 + 2 ** 40);
    const vals = Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i)));
    const p = join(t.dir, 'vox.h5');
    await writeH5NodeFile(p, [{ path: '/voxels', type: VOXEL_T, shape: [n], bytes: encodeColumns(VOXEL_T, n, { id: ids, value: vals }) }]);
    const src = await openNodeH5(p);
    const lib = (await nodeH5Lib()) as unknown as typeof H5;
    const f = new lib.File(p, 'r');
    try {
      const raw = src.readRows('/voxels', 0, n);
      const cols = decodeCompound(raw, src.info('/voxels').dtype);
      const value = (f.get('/voxels') as H5.Dataset).value as [bigint, number][];
      for (const i of [0, 1, 12345, n - 1]) {
        expect((cols['id'] as Float64Array)[i]).toBe(Number(value[i]![0]));
        expect((cols['value'] as Float64Array)[i]).toBe(value[i]![1]);
      }
      expect((cols['id'] as Float64Array)[n - 1]).toBe(ids[n - 1]);
    } finally {
      f.close();
      src.close();
    }
  });
  it('finds nested members', () => {
    const m = findMember(
      {
        kind: 'compound',
        size: 16,
        members: [
          {
            name: 'v',
            offset: 8,
            type: { kind: 'compound', size: 8, members: [{ name: 'x', offset: 4, type: { kind: 'float', size: 4, littleEndian: true } }] },
          },
        ],
      },
      'v.x',
    );
    expect(m?.offset).toBe(12);
    const bytes = new Uint8Array(32);
    new DataView(bytes.buffer).setFloat32(12, 2.5, true);
    new DataView(bytes.buffer).setFloat32(28, -1, true);
    expect(Array.from(decodeNumericMember(bytes, 16, m!))).toEqual([2.5, -1]);
  });
});

describe('ragged helpers', () => {
  it('offsets and concatenation', () => {
    expect(Array.from(offsetsFromCounts([2, 0, 3]))).toEqual([0, 2, 2, 5]);
    const a = { values: new Float32Array([1, 2, 3, 4]), offsets: new Uint32Array([0, 1, 2]), width: 2 };
    const b = { values: new Float32Array([5, 6]), offsets: new Uint32Array([0, 0, 1]), width: 2 };
    const c = concatRagged([a, b]);
    expect(Array.from(c.offsets)).toEqual([0, 1, 2, 2, 3]);
    expect(Array.from(c.values)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
