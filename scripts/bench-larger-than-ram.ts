/**
 * Training from a larcv3 file larger than this machine's RAM (issue 11). In a temp folder:
 * our larcv3 writer writes K synthetic cosmic events (sparse2d wire + cosmicseg, 3 planes of
 * S×S); h5py tiles them into a file of --gb GB whose every byte is on disk (no holes: the
 * allocated blocks are checked); the page cache is dropped (root) so reads come from disk; then
 * `physml train` streams a shuffled cosmic run from it (small preset, downsampled) while this
 * script samples the process's RSS, its peak (VmHWM) and the bytes it read from storage
 * (/proc/PID/io). The folder is deleted at the end, whatever happens.
 *
 *   npx tsx scripts/bench-larger-than-ram.ts [--gb 26] [--steps 12] [--batch 4] [--size 512] [--downsample 4] [--unique 16]
 *
 * Refuses to report a result when the file is not larger than MemTotal, or when the disk lacks
 * room for it (2 GB margin). Not part of npm test: it writes tens of GB.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EntryOrder } from '../src/data/stream/order';
import { planOrders } from '../src/data/stream/plan';
import { syntheticPlanes } from '../src/tasks/cosmic/synthetic';
import { denseToLarcv3 } from '../tools/writers/denseToLarcv3';
import { writeLarcv3File } from '../tools/writers/nodeWriters';

const args = process.argv.slice(2);
const opt = (k: string, d: number) => {
  const i = args.indexOf(`--${k}`);
  return i >= 0 ? Number(args[i + 1]) : d;
};
const GB = opt('gb', 26);
const STEPS = opt('steps', 12);
const BATCH = opt('batch', 4);
const SIZE = opt('size', 512);
const DOWNSAMPLE = opt('downsample', 4);
const UNIQUE = opt('unique', 16);
const SPLIT = 0.999;
const EVAL_ENTRIES = 8;
const SEED = 1;
const log = (s: string) => process.stderr.write(`${s}\n`);
const MiB = 2 ** 20;

const kib = (text: string, key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN) * 1024;
const ramBytes = kib(readFileSync('/proc/meminfo', 'utf8'), 'MemTotal');

// Tiles the small file's entries R times (entry i is small entry i mod E): every table of
// every Data group is repeated with its `first` pointers shifted, the voxels written block by
// block (chunked, uncompressed, as a larcv3 writer does), so the whole file is real data.
const GEN = `
import sys, math, numpy as np, h5py
src, dst, target = sys.argv[1], sys.argv[2], float(sys.argv[3])
with h5py.File(src, 'r') as a, h5py.File(dst, 'w') as b:
    for k, v in a.attrs.items(): b.attrs[k] = v
    small = sum(a[f'Data/{g}/voxels'].nbytes for g in a['Data'])
    R = max(1, math.ceil(target / small))
    E = len(a['Events/event_id'])
    for name in ['Events', 'Data'] + [f'Data/{g}' for g in a['Data']]:
        grp = b.require_group(name)
        for k, v in a[name].attrs.items(): grp.attrs[k] = v
    ev = a['Events/event_id'][()]
    big = np.tile(ev, R)
    big['event'] = np.arange(E * R)
    b.create_dataset('Events/event_id', data=big, chunks=True)
    for g in a['Data']:
        ext, ve, meta, vox = (a[f'Data/{g}/{t}'][()] for t in ('extents', 'voxel_extents', 'image_meta', 'voxels'))
        e2 = np.tile(ext, R); e2['first'] += np.repeat(np.arange(R, dtype=np.uint64) * np.uint64(len(ve)), len(ext))
        v2 = np.tile(ve, R); v2['first'] += np.repeat(np.arange(R, dtype=np.uint64) * np.uint64(len(vox)), len(ve))
        b.create_dataset(f'Data/{g}/extents', data=e2, chunks=True)
        b.create_dataset(f'Data/{g}/voxel_extents', data=v2, chunks=True)
        b.create_dataset(f'Data/{g}/image_meta', data=np.tile(meta, R), chunks=True)
        out = b.create_dataset(f'Data/{g}/voxels', shape=(len(vox) * R,), dtype=vox.dtype, chunks=(1 << 16,))
        T = max(1, (256 << 20) // vox.nbytes)
        block = np.tile(vox, T)
        for r in range(0, R, T):
            n = min(T, R - r)
            out[r * len(vox):(r + n) * len(vox)] = block[:n * len(vox)]
    print(E * R)
`;

function sample(pid: number): { rss: number; hwm: number; readBytes: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    return { rss: kib(status, 'VmRSS'), hwm: kib(status, 'VmHWM'), readBytes: Number(/^read_bytes:\s+(\d+)/m.exec(io)?.[1] ?? NaN) };
  } catch {
    return null; // exited between samples
  }
}

const dir = mkdtempSync(join(tmpdir(), 'larger-than-ram-'));
let exitCode = 0;
try {
  const free = statfsSync(dir);
  const freeBytes = free.bavail * free.bsize;
  log(`RAM (MemTotal) ${(ramBytes / 1e9).toFixed(1)} GB; free disk at ${dir}: ${(freeBytes / 1e9).toFixed(1)} GB; target file ${GB} GB`);
  if (GB * 1e9 + 2e9 > freeBytes)
    throw new Error(`not enough disk: ${GB} GB + 2 GB margin needed, ${(freeBytes / 1e9).toFixed(1)} GB free`);
  const small = join(dir, 'small.h5');
  const path = join(dir, 'larger_than_ram.h5');
  let t0 = performance.now();
  await writeLarcv3File(small, denseToLarcv3(syntheticPlanes({ events: UNIQUE, size: SIZE, seed: 5 }), 'wire', 'cosmicseg'));
  const gen = spawnSync('/usr/bin/python3', ['-c', GEN, small, path, String(GB * 1e9)], { encoding: 'utf8' });
  if (gen.status !== 0) throw new Error(`h5py failed: ${gen.stderr}`);
  const entries = Number(gen.stdout.trim());
  const st = statSync(path);
  const allocated = st.blocks * 512;
  log(
    `wrote ${(st.size / 1e9).toFixed(2)} GB (${(allocated / 1e9).toFixed(2)} GB allocated on disk), ${entries} entries of 3×${SIZE}×${SIZE}, in ${((performance.now() - t0) / 1000).toFixed(0)} s`,
  );
  if (allocated < 0.99 * st.size)
    throw new Error(`the file has holes (${allocated} of ${st.size} bytes on disk): reads would not come from disk`);
  const larger = st.size > ramBytes;

  spawnSync('sync');
  let dropped = false;
  try {
    writeFileSync('/proc/sys/vm/drop_caches', '3');
    dropped = true;
  } catch {
    log('could not drop the page cache (not root?): part of the file may be read from memory');
  }
  const cached = kib(readFileSync('/proc/meminfo', 'utf8'), 'Cached');
  log(`page cache ${dropped ? 'dropped' : 'kept'}: Cached ${(cached / 1e9).toFixed(2)} GB`);

  const run = {
    task: 'cosmic-uresnet',
    name: 'big',
    steps: STEPS,
    read_every: 1,
    eval_every: STEPS,
    seed: SEED,
    config: { network: 'small', downsample: DOWNSAMPLE, batchSize: BATCH, balance: 'focal' },
    data: { train: path, stream: true, split: SPLIT, eval_entries: EVAL_ENTRIES },
  };
  writeFileSync(join(dir, 'run.json'), JSON.stringify(run));
  // the entries the run trains on: the same seeded plan physml train builds (src/cli/fileData.ts)
  const orders = planOrders({ train: entries }, { batch: BATCH, seed: SEED, trainFraction: SPLIT, evalEntries: EVAL_ENTRIES });
  const order = new EntryOrder(orders.train!);
  const trained = Array.from({ length: STEPS }, () => Array.from(order.next()!.entries)).flat();
  const validation = orders.validation!.range;

  const bin = resolve(import.meta.dirname, '../bin/physml.mjs');
  t0 = performance.now();
  const child = spawn(process.execPath, [bin, 'train', 'run.json'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const metrics = join(dir, 'runs', 'big', 'metrics.jsonl');
  const samples: { ms: number; step: number; rss: number; hwm: number; readBytes: number }[] = [];
  const timer = setInterval(() => {
    const s = sample(child.pid!);
    if (!s) return;
    const step = existsSync(metrics)
      ? readFileSync(metrics, 'utf8')
          .split('\n')
          .filter((l) => l.includes('"split":"train"')).length
      : 0;
    samples.push({ ms: performance.now() - t0, step, ...s });
  }, 200);
  const code = await new Promise<number>((res) => child.on('exit', (c) => res(c ?? 1)));
  clearInterval(timer);
  const wallS = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`physml train failed (exit ${code}):\n${output.slice(-4000)}`);

  const rows = readFileSync(metrics, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, number | string>);
  const train = rows.filter((r) => r.split === 'train');
  const tests = rows.filter((r) => r.split === 'test');
  if (train.length !== STEPS) throw new Error(`metrics.jsonl has ${train.length} training steps, expected ${STEPS}`);
  const trainS = Number(train[train.length - 1].wall_ms) / 1000;
  const meanWait = train.slice(1).reduce((a, r) => a + Number(r.data_wait_ms), 0) / Math.max(1, train.length - 1);
  const meanInput = train.slice(1).reduce((a, r) => a + Number(r.input_fraction), 0) / Math.max(1, train.length - 1);
  // a sample taken as the process exits has no VmRSS line
  const live = samples.filter((s) => Number.isFinite(s.rss) && Number.isFinite(s.hwm));
  const atStep = (k: number) => live.filter((s) => s.step >= k);
  // step 1 compiles the pipelines (SwiftShader's JIT memory comes and goes): growth is measured
  // from the first sample after step 2, as in tests/cosmic/large.test.ts
  const afterWarm = atStep(2);
  if (afterWarm.length < 2) throw new Error('too few RSS samples during training');
  const base = afterWarm[0].rss;
  const peakTraining = Math.max(...afterWarm.map((s) => s.rss));
  const lastStep = atStep(STEPS)[0]?.rss ?? NaN;
  const peakHwm = Math.max(...live.map((s) => s.hwm));
  const readBytes = Math.max(...live.map((s) => s.readBytes));
  const fmtMiB = (b: number) => `${(b / MiB).toFixed(0)} MiB`;
  const perStep = Array.from({ length: STEPS }, (_, i) => atStep(i + 1)[0]?.rss).map((r) => (r ? (r / MiB).toFixed(0) : '?'));

  console.log(
    `file ${(st.size / 1e9).toFixed(2)} GB (${(allocated / 1e9).toFixed(2)} GB on disk) vs RAM ${(ramBytes / 1e9).toFixed(2)} GB (MemTotal)`,
  );
  console.log(
    `${entries} entries (${UNIQUE} distinct synthetic events tiled), 3×${SIZE}×${SIZE} planes, downsample ${DOWNSAMPLE} → 3×${SIZE >> DOWNSAMPLE}×${SIZE >> DOWNSAMPLE}`,
  );
  console.log(
    `trained ${STEPS} steps of ${BATCH} shuffled entries, entries ${Math.min(...trained)}..${Math.max(...trained)} of ${entries}; validated ${tests.length}× on up to ${EVAL_ENTRIES} entries from ${validation.start} (validation range ${validation.start}..${validation.end - 1}, the file's end)`,
  );
  console.log(
    `training ${trainS.toFixed(1)} s (${((STEPS * BATCH) / trainS).toFixed(2)} entries/s, ${(STEPS / trainS).toFixed(2)} steps/s), run wall ${wallS.toFixed(0)} s; data wait ${meanWait.toFixed(1)} ms/step, input-bound ${(100 * meanInput).toFixed(1)} % (steps 2–${STEPS})`,
  );
  console.log(
    `RSS after step 2 ${fmtMiB(base)}, peak over steps 2–${STEPS} ${fmtMiB(peakTraining)} (growth ${fmtMiB(peakTraining - base)}), after step ${STEPS} ${fmtMiB(lastStep)}; peak RSS of the whole run (VmHWM, step 1's compile included) ${fmtMiB(peakHwm)}; read from storage by the process (file and code, /proc/PID/io) ${(readBytes / MiB).toFixed(1)} MiB`,
  );
  console.log(`RSS (MiB) at the first sample after each step: ${perStep.join(', ')} (${live.length} samples every 200 ms)`);
  console.log(`page cache dropped before training: ${dropped ? 'yes' : 'no'}`);
  if (!larger) {
    console.log(`NOT larger than RAM: ${st.size} ≤ ${ramBytes} bytes; no claim`);
    exitCode = 1;
  } else console.log(`the file is ${(st.size / ramBytes).toFixed(2)}× this machine's RAM`);
} finally {
  rmSync(dir, { recursive: true, force: true });
  log(`removed ${dir}`);
}
process.exitCode = exitCode;
