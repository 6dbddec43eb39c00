import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openNodeH5 } from '../../src/data/h5/node';
import { FileSessions } from '../../src/data/worker/session';
import { transferables } from '../../src/data/worker/protocol';
import type { SparseEntries } from '../../src/data/larcv3/reader';
import { larcv3Fixture, spanetFixture, tmpDir } from './fixtures';

let t: ReturnType<typeof tmpDir>;
beforeAll(() => {
  t = tmpDir();
});
afterAll(() => t?.cleanup());

describe('worker file sessions (the logic behind the worker protocol)', () => {
  it('opens several files, previews, reads entries; a failing file leaves the others open', async () => {
    const s = new FileSessions();
    const stages: number[] = [];
    const a = s.add('a', await openNodeH5(await larcv3Fixture(t.dir, 'a.h5')), 1, false, (f) => stages.push(f));
    expect(a.summary.kind).toBe('larcv3');
    expect(stages[stages.length - 1]).toBe(1);
    const b = s.add('b', await openNodeH5(await spanetFixture(t.dir, 'b.h5')), 1, false);
    expect(b.summary.kind).toBe('spanet');
    const bad = await larcv3Fixture(t.dir, 'bad.h5', undefined, (ds) => ds.filter((d) => !d.path.endsWith('image2d_coarse_group/images')));
    expect(() => s.add('c', undefined as never, 0, false)).toThrow();
    await expect(openNodeH5(bad).then((src) => s.add('c', src, 1, false))).rejects.toThrow(/images: dataset is missing/);
    const e = s.readEntries('a', 'sparse2d', 'data', 1, 3) as SparseEntries;
    expect(e.planes.length).toBe(3);
    expect(transferables(e).length).toBeGreaterThan(3);
    expect(s.preview('b', '/INPUTS/Momenta/pt', 5).rows.length).toBe(5);
    expect(s.readSpanet('b', 0, 4).sources.length).toBe(2);
    s.close('a');
    expect(() => s.preview('a', '/Events/event_id', 1)).toThrow(/file is not open/);
    s.close('b');
  });
});
