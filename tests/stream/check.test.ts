/**
 * The full read check (src/data/stream/check.ts): files whose metadata look fine but whose
 * entries do not read are caught, naming file, dataset and the first bad entry — through
 * readCheck, the data worker's session (the app's file badge) and `physml inspect --check`.
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { detectKind } from '../../src/data/detect';
import { openNodeH5 } from '../../src/data/h5/node';
import { buildTree } from '../../src/data/h5/tree';
import { readCheck } from '../../src/data/stream/check';
import { StreamMeter } from '../../src/data/stream/meter';
import { FileSessions } from '../../src/data/worker/session';
import { trainingOptions } from '../../src/tasks/fromFile/options';
import { larcv3Fixture, smallLarcv3Spec, tmpDir } from '../data/fixtures';
import { physml, ROOT } from '../cli/physml';
import { writeNumberedSets } from './helpers';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));

async function requestsOf(path: string) {
  const src = await openNodeH5(path);
  const tree = buildTree(src);
  return { src, requests: trainingOptions(detectKind(src, tree), tree).map((o) => o.request) };
}

describe('read check', () => {
  it('reads every entry of a clean file, and stops at the first bad entry of a corrupt one (bisected to it)', async () => {
    const good = await writeNumberedSets(700);
    const bad = await writeNumberedSets(700, [613, 650]);
    cleanups.push(good.cleanup, bad.cleanup);
    const g = await requestsOf(good.path);
    expect(g.requests.length).toBe(2); // a Deep Set per target: /target and /label
    const ok = await readCheck(g.src, g.requests, { batch: 100 });
    expect(ok).toMatchObject({ ok: true, entries: 1400 });
    expect(ok.checked).toHaveLength(2);
    g.src.close();
    const b = await requestsOf(bad.path);
    const seen: number[] = [];
    const r = await readCheck(b.src, b.requests, { batch: 100, progress: (f) => seen.push(f) });
    b.src.close();
    expect(r.ok).toBe(false);
    expect(r.error).toMatchObject({ file: 'sets.h5', dataset: '/sets/x0', entry: 613 });
    expect(r.entries).toBe(600); // the six batches before the bad one
    expect(seen.length).toBe(6);
    expect(seen.every((f, i) => f > 0 && f < 1 && (i === 0 || f > seen[i - 1]))).toBe(true);
  });

  it('larcv3 extents pointing past the voxels: detection passes, the check names the dataset', async () => {
    const { dir, cleanup } = tmpDir();
    cleanups.push(cleanup);
    const p = await larcv3Fixture(dir, 'ext.h5', smallLarcv3Spec(), (ds) => {
      const d = ds.find((x) => x.path === '/Data/sparse2d_data_group/voxel_extents')!;
      const dv = new DataView(d.bytes.buffer, d.bytes.byteOffset);
      const last = d.shape[0]! - 1;
      dv.setUint32(last * 16 + 8, dv.getUint32(last * 16 + 8, true) + 1000, true);
      return ds;
    });
    const { src, requests } = await requestsOf(p);
    expect(requests.some((q) => q.kind === 'larcv3-segmentation')).toBe(true);
    const r = await readCheck(src, requests);
    src.close();
    expect(r.ok).toBe(false);
    expect(r.error!.dataset).toBe('/Data/sparse2d_data_group/voxel_extents');
    expect(r.error!.message).toMatch(/ext\.h5/);
  });

  it("the data worker's session checks a loaded file (what the app's badge shows)", async () => {
    const bad = await writeNumberedSets(300, [123]);
    cleanups.push(bad.cleanup);
    const sessions = new FileSessions();
    sessions.add('b', await openNodeH5(bad.path), 0, true);
    const r = await sessions.check('b');
    expect(r.ok).toBe(false);
    expect(r.error!.message).toMatch(/sets\.h5 \/sets\/x0, entry 123: /);
    sessions.close('b');
  });

  it('physml inspect --check exits 1 naming the entry, 0 for the demo files', async () => {
    const bad = await writeNumberedSets(300, [201]);
    cleanups.push(bad.cleanup);
    const r = physml(['inspect', bad.path, '--check']);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/read check failed: sets\.h5 \/sets\/x0, entry 201: /);
    const plain = physml(['inspect', bad.path]); // metadata alone look fine
    expect(plain.status).toBe(0);
    const { dir, cleanup } = tmpDir();
    cleanups.push(cleanup);
    copyFileSync(join(ROOT, 'public/demo/hits_demo.h5'), join(dir, 'hits.h5'));
    const ok = physml(['inspect', join(dir, 'hits.h5'), '--check']);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/read check: all 100 entries read/);
  }, 120_000);
});

describe('stream meter (the Train panel stream line)', () => {
  const stats = (entriesRead: number, bytesRead: number, position: number) => ({
    file: 'f.h5',
    entriesRead,
    bytesRead,
    readMs: 0,
    elapsedMs: 0,
    epoch: 0,
    position,
    epochSize: 1000,
    buffered: 0,
    skippedEntries: 0,
  });
  it('rates over a chunk, ETA of the epoch, the share of step time spent waiting', () => {
    const m = new StreamMeter();
    m.start(stats(100, 1e6, 100), 0);
    // four steps 100 ms apart, waiting 25, 25, 50, 50 ms: the first has no previous step, so
    // the span is 300 ms and the waits counted after it 125 ms
    m.points([0, 1, 2, 3].map((k) => ({ wallMs: 100 * k, values: { loss: 1, data_wait_ms: [25, 25, 50, 50][k] } })));
    const r = m.finish(stats(300, 5e6, 300), 2000);
    expect(r.entriesPerS).toBeCloseTo(100, 10); // 200 entries in 2 s
    expect(r.mbPerS).toBeCloseTo(2, 10); // 4 MB in 2 s
    expect(r.etaEpochS).toBeCloseTo(7, 10); // 700 entries left at 100/s
    expect(r.inputFraction).toBeCloseTo(150 / 300, 10);
    // a chunk that read nothing keeps the last rates
    m.start(stats(300, 5e6, 300), 3000);
    expect(m.finish(stats(300, 5e6, 300), 4000)).toEqual(r);
  });
});
