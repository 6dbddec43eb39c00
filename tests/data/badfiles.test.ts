import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectKind } from '../../src/data/detect';
import { DataFileError, summarizeHdf5Message } from '../../src/data/errors';
import { openNodeH5 } from '../../src/data/h5/node';
import { buildTree } from '../../src/data/h5/tree';
import { Larcv3Reader } from '../../src/data/larcv3/reader';
import { readSpanetEvents } from '../../src/data/spanet/reader';
import type { DatasetSpec } from '../../tools/writers/h5write';
import { VOXEL_T } from '../../src/data/larcv3/layout';
import { SHARED_SPANET, hasSharedSpanet, larcv3Fixture, smallLarcv3Spec, spanetFixture, tmpDir } from './fixtures';

let t: ReturnType<typeof tmpDir>;
beforeAll(() => {
  t = tmpDir();
});
afterAll(() => t?.cleanup());

/** Runs `f` and returns the DataFileError it throws (fails the test if it throws anything else or nothing). */
async function dataError(f: () => unknown): Promise<DataFileError> {
  try {
    await f();
  } catch (e) {
    if (e instanceof DataFileError) return e;
    throw new Error(`expected a DataFileError, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  }
  throw new Error('expected a DataFileError, nothing was thrown');
}

/** Opens, detects and reads everything of a larcv3 file, as the app does. */
async function loadAll(path: string) {
  const src = await openNodeH5(path);
  try {
    const s = detectKind(src, buildTree(src));
    if (s.kind === 'larcv3') {
      const r = new Larcv3Reader(src);
      const all = { start: 0, end: r.numEntries };
      for (const p of s.products) {
        if (p.type === 'sparse2d' || p.type === 'sparse3d') r.readSparse(p.type, p.producer, all);
        if (p.type === 'cluster2d' || p.type === 'cluster3d') r.readClusters(p.type, p.producer, all);
        if (p.type === 'image2d') r.readImages(p.producer, all);
        if (p.type === 'particle') r.readParticles(p.producer, all);
      }
    } else if (s.kind === 'spanet') readSpanetEvents(src);
    return s;
  } finally {
    src.close();
  }
}

const mutateVoxels = (group: string, f: (bytes: DataView, n: number) => void) => (ds: DatasetSpec[]) => {
  const d = ds.find((x) => x.path === `/Data/${group}/voxels`)!;
  f(new DataView(d.bytes.buffer, d.bytes.byteOffset, d.bytes.byteLength), d.shape[0]!);
  return ds;
};

describe('not HDF5 / truncated', () => {
  it('a text file is not-hdf5 and names the file', async () => {
    const p = join(t.dir, 'notes.txt.h5');
    writeFileSync(p, 'just some text, certainly not HDF5\n'.repeat(20));
    const e = await dataError(() => openNodeH5(p));
    expect(e.code).toBe('not-hdf5');
    expect(e.file).toBe('notes.txt.h5');
    expect(e.message).toMatch(/notes\.txt\.h5: not an HDF5 file/);
  });
  it('bytes without signature are rejected before HDF5 sees them', async () => {
    const e = await dataError(() => openNodeH5(new Uint8Array(1000), 'zeros.h5'));
    expect(e.code).toBe('not-hdf5');
  });
  it('truncated variants of a generated larcv3 file', async () => {
    const full = readFileSync(await larcv3Fixture(t.dir, 'full.h5'));
    for (const frac of [0.9, 0.5, 0.1]) {
      const cut = full.subarray(0, Math.floor(full.length * frac));
      const e = await dataError(() => openNodeH5(cut, `cut${frac}.h5`));
      expect(e.code).toBe('truncated');
      expect(e.expected).toBe(`${full.length} bytes`);
      expect(e.file).toBe(`cut${frac}.h5`);
    }
    const tiny = await dataError(() => openNodeH5(full.subarray(0, 40), 'tiny.h5'));
    expect(['truncated', 'open-failed']).toContain(tiny.code);
  });
  it.skipIf(!hasSharedSpanet)('truncated SPANet example file', async () => {
    const full = readFileSync(SHARED_SPANET);
    const e = await dataError(() => openNodeH5(full.subarray(0, 300_000), 'ex.h5'));
    expect(e.code).toBe('truncated');
    expect(e.message).toContain('ex.h5: file is truncated: 300000 bytes present');
  });
  it('HDF5 diagnostic stacks are summarised', () => {
    const msg =
      'HDF5-DIAG: Error detected in HDF5 (2.0.0):\n  #000: x.c line 1 in H5Fopen(): unable to open file\n    major: File accessibility\n    minor: Unable to open file\n  #001: y.c line 2 in H5F__super_read(): file signature not found\n    major: File accessibility\n    minor: Not an HDF5 file\n';
    expect(summarizeHdf5Message(msg)).toBe('HDF5: file signature not found (Not an HDF5 file)');
  });
});

describe('corrupted larcv3 files', () => {
  it('extents pointing outside voxels', async () => {
    const p = await larcv3Fixture(t.dir, 'ext.h5', smallLarcv3Spec(), (ds) => {
      const d = ds.find((x) => x.path === '/Data/sparse2d_data_group/voxel_extents')!;
      const dv = new DataView(d.bytes.buffer, d.bytes.byteOffset);
      const last = d.shape[0]! - 1;
      dv.setUint32(last * 16 + 8, dv.getUint32(last * 16 + 8, true) + 1000, true); // N += 1000
      return ds;
    });
    const e = await dataError(() => loadAll(p));
    expect(e.code).toBe('out-of-range');
    expect(e.dataset).toBe('/Data/sparse2d_data_group/voxel_extents');
    expect(e.message).toMatch(/points to rows .* of \/Data\/sparse2d_data_group\/voxels, which has \d+ rows/);
  });
  it('top-level extents pointing outside their table', async () => {
    const p = await larcv3Fixture(t.dir, 'ext0.h5', smallLarcv3Spec(), (ds) => {
      const d = ds.find((x) => x.path === '/Data/particle_mctruth_group/extents')!;
      new DataView(d.bytes.buffer, d.bytes.byteOffset).setBigUint64(16 * 2, 99999n, true);
      return ds;
    });
    const e = await dataError(() => loadAll(p));
    expect(e.code).toBe('out-of-range');
    expect(e.dataset).toBe('/Data/particle_mctruth_group/extents');
    expect(e.message).toContain('row 2 points to rows 99999');
  });
  it('voxel id outside the image', async () => {
    const p = await larcv3Fixture(
      t.dir,
      'vid.h5',
      smallLarcv3Spec(),
      mutateVoxels('sparse2d_label_group', (dv) => dv.setBigUint64(16 * 3, 64n * 64n + 5n, true)),
    );
    const e = await dataError(() => loadAll(p));
    expect(e.code).toBe('out-of-range');
    expect(e.dataset).toBe('/Data/sparse2d_label_group/voxels');
    expect(e.message).toContain('row 3 (entry 0, projection 0): voxel id 4101 outside the 64×64 image');
  });
  it('a voxel value of 3e38 (finite, but it overflows float32 arithmetic)', async () => {
    const p = await larcv3Fixture(
      t.dir,
      'huge.h5',
      smallLarcv3Spec(),
      mutateVoxels('cluster3d_particle_group', (dv, n) => dv.setFloat32(16 * (n - 1) + 8, 3e38, true)),
    );
    const e = await dataError(() => loadAll(p));
    expect(e.code).toBe('overflow');
    expect(e.dataset).toBe('/Data/cluster3d_particle_group/voxels');
    expect(e.message).toMatch(/entry \d+\): value is 3/);
  });
  it('NaN voxel value', async () => {
    const p = await larcv3Fixture(
      t.dir,
      'nan.h5',
      smallLarcv3Spec(),
      mutateVoxels('cluster3d_particle_group', (dv, n) => dv.setFloat32(16 * (n - 1) + 8, NaN, true)),
    );
    const e = await dataError(() => loadAll(p));
    expect(e.code).toBe('nan');
    expect(e.dataset).toBe('/Data/cluster3d_particle_group/voxels');
    // with allowNaN the same file reads
    const src = await openNodeH5(p);
    try {
      const r = new Larcv3Reader(src);
      const c = r.readClusters('cluster3d', 'particle', { start: 0, end: r.numEntries }, { allowNaN: true });
      expect(Number.isNaN(c.planes[0]!.voxels.values[c.planes[0]!.voxels.values.length - 2])).toBe(true);
    } finally {
      src.close();
    }
  });
  it('missing dataset', async () => {
    const p = await larcv3Fixture(t.dir, 'miss.h5', smallLarcv3Spec(), (ds) =>
      ds.filter((x) => x.path !== '/Data/sparse3d_data_group/voxels'),
    );
    const e = await dataError(() => loadAll(p));
    expect(e.code).toBe('missing-dataset');
    expect(e.dataset).toBe('/Data/sparse3d_data_group/voxels');
    expect(e.message).toBe('miss.h5: /Data/sparse3d_data_group/voxels: dataset is missing (expected larcv3 sparse3d dataset voxels)');
  });
  it('wrong shapes and dtypes', async () => {
    const p1 = await larcv3Fixture(t.dir, 'rows.h5', smallLarcv3Spec(), (ds) => {
      const d = ds.find((x) => x.path === '/Data/image2d_coarse_group/extents')!;
      d.shape = [d.shape[0]! - 1];
      d.bytes = d.bytes.subarray(0, d.bytes.length - 16);
      return ds;
    });
    const e1 = await dataError(() => loadAll(p1));
    expect(e1.code).toBe('bad-shape');
    expect(e1.dataset).toBe('/Data/image2d_coarse_group/extents');
    const p2 = await larcv3Fixture(t.dir, 'dtype.h5', smallLarcv3Spec(), (ds) => {
      const d = ds.find((x) => x.path === '/Data/sparse2d_data_group/voxels')!;
      d.type = {
        ...VOXEL_T,
        members: (VOXEL_T.kind === 'compound' ? VOXEL_T.members : []).map((m) => (m.name === 'value' ? { ...m, name: 'charge' } : m)),
      } as typeof VOXEL_T;
      return ds;
    });
    const e2 = await dataError(() => loadAll(p2));
    expect(e2.code).toBe('bad-dtype');
    expect(e2.message).toContain('compound lacks member(s) value');
    const p3 = await larcv3Fixture(t.dir, 'img.h5', smallLarcv3Spec(), (ds) => {
      const d = ds.find((x) => x.path === '/Data/image2d_coarse_group/image_extents')!;
      new DataView(d.bytes.buffer, d.bytes.byteOffset).setUint32(8, 10, true); // N of the first image
      return ds;
    });
    const e3 = await dataError(() => loadAll(p3));
    expect(e3.code).toBe('bad-shape');
    expect(e3.message).toContain('image of 10 pixels for a 8×8 grid');
  });
});

describe('corrupted SPANet files', () => {
  it('NaN in a jet feature where MASK is true', async () => {
    const p = await spanetFixture(t.dir, 'nan.h5', undefined, (ds) => {
      const d = ds.find((x) => x.path === '/INPUTS/Momenta/pt')!;
      new DataView(d.bytes.buffer, d.bytes.byteOffset).setFloat32(4 * (8 * 5 + 0), NaN, true); // event 5, jet 0
      return ds;
    });
    const e = await dataError(() => loadAll(p));
    expect(e.code).toBe('nan');
    expect(e.dataset).toBe('/INPUTS/Momenta/pt');
    expect(e.message).toContain('event 5, object 0 is NaN');
  });
  it('a finite jet feature too large for float32 arithmetic (3e38)', async () => {
    const p = await spanetFixture(t.dir, 'huge.h5', undefined, (ds) => {
      const d = ds.find((x) => x.path === '/INPUTS/Momenta/pt')!;
      new DataView(d.bytes.buffer, d.bytes.byteOffset).setFloat32(4 * (8 * 7 + 1), 3e38, true); // event 7, jet 1
      return ds;
    });
    const e = await dataError(() => loadAll(p));
    expect(e.code).toBe('overflow');
    expect(e.dataset).toBe('/INPUTS/Momenta/pt');
    expect(e.message).toMatch(/event 7, object 1 is 3\.0*\d*e\+38/);
    expect(e.message).toContain('overflow float32');
  });
  it('missing MASK', async () => {
    const p = await spanetFixture(t.dir, 'nomask.h5', undefined, (ds) => ds.filter((x) => x.path !== '/INPUTS/Momenta/MASK'));
    const e = await dataError(() => loadAll(p));
    expect(e.code).toBe('missing-dataset');
    expect(e.dataset).toBe('/INPUTS/Momenta/MASK');
  });
  it('feature with the wrong shape', async () => {
    const p = await spanetFixture(t.dir, 'shape.h5', undefined, (ds) => {
      const d = ds.find((x) => x.path === '/INPUTS/Momenta/eta')!;
      d.shape = [40, 4];
      d.bytes = d.bytes.subarray(0, 40 * 4 * 4);
      return ds;
    });
    const e = await dataError(() => loadAll(p));
    expect(e.code).toBe('bad-shape');
    expect(e.message).toBe('shape.h5: /INPUTS/Momenta/eta: shape [40,4] (expected [40,8] like MASK)');
  });
  it('target index outside the jets', async () => {
    const p = await spanetFixture(t.dir, 'tgt.h5', undefined, (ds) => {
      const d = ds.find((x) => x.path === '/TARGETS/t2/q1')!;
      new DataView(d.bytes.buffer, d.bytes.byteOffset).setBigInt64(8 * 3, 12n, true);
      return ds;
    });
    const e = await dataError(() => loadAll(p));
    expect(e.code).toBe('out-of-range');
    expect(e.dataset).toBe('/TARGETS/t2/q1');
  });
  it('DataFileError survives a structured clone (worker → page)', () => {
    const e = new DataFileError({ code: 'nan', file: 'a.h5', dataset: '/x', problem: 'p', expected: 'q' });
    const back = DataFileError.fromJSON(structuredClone(e.toJSON()));
    expect(back).toBeInstanceOf(DataFileError);
    expect(back.message).toBe(e.message);
  });
});
