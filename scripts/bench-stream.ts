/**
 * Streaming throughput: our BatchReader (h5wasm in Node, sliced reads, shuffled batches)
 * against Debian's python3-h5py reading the same entries, run by run, from the same file in
 * the same run. Files are generated in a temp folder: larcv3 sparse2d and cluster2d (the
 * demo generator) and SPANet (the demo generator), sized by --entries, and a generic
 * jagged-sets file as h5py writes one (`/sets/x0`, `/sets/x1`, `/sets/offsets`, `/target`;
 * --sets sets of 1–39 elements), read by the Deep Sets reader with its coalesced reads and
 * with one read per run of consecutive sets (the call pattern before coalescing).
 *   npx tsx scripts/bench-stream.ts [--entries 2000] [--spanet 50000] [--sets 200000] [--batch 32] [--batches 40] [--markdown]
 * Entries/s is the comparison (ratio ours / h5py, above 1 = we are faster); MB/s counts each
 * side's decoded arrays (ours: the payload's typed arrays; h5py: the numpy arrays' nbytes).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openNodeH5 } from '../src/data/h5/node';
import { Larcv3Reader } from '../src/data/larcv3/reader';
import { EntryOrder } from '../src/data/stream/order';
import { larcv3ClusterReader, larcv3SparseReader } from '../src/data/stream/ranges';
import { SpanetEntryReader } from '../src/data/stream/spanetReader';
import { JaggedSetsReader } from '../src/data/stream/jagged';
import { BatchReader } from '../src/data/stream/reader';
import { entryRuns } from '../src/data/stream/runs';
import type { EntryReader } from '../src/data/stream/types';
import { demoLarcv3Spec } from '../tools/writers/demoLarcv3';
import { demoSpanetSpec } from '../tools/writers/demoSpanet';
import { writeLarcv3File, writeSpanetFile } from '../tools/writers/nodeWriters';

const args = process.argv.slice(2);
const opt = (k: string, d: number) => {
  const i = args.indexOf(`--${k}`);
  return i >= 0 ? Number(args[i + 1]) : d;
};
const ENTRIES = opt('entries', 2000);
const SPANET = opt('spanet', 50_000);
const SETS = opt('sets', 200_000);
const BATCH = opt('batch', 32);
const BATCHES = opt('batches', 40);
const markdown = args.includes('--markdown');
const log = (s: string) => process.stderr.write(`${s}\n`);

const PY = `
import sys, json, time, h5py, numpy as np
path, kind, producer, plan = sys.argv[1], sys.argv[2], sys.argv[3], json.load(open(sys.argv[4]))
f = h5py.File(path, 'r')
def span(t):
    # rows first[0] .. first[-1] + N[-1] of the next table, as the larcv3 reader reads them
    if len(t) == 0: return 0, 0
    return int(t['first'][0]), int(t['first'][-1] + t['N'][-1])
def larcv(g, chain, s, e):
    n = 0
    rows = f[g + '/extents'][s:e]; n += rows.nbytes
    f[g + '/image_meta'][s:e]
    for nxt in chain:
        lo, hi = span(rows); rows = f[g + '/' + nxt][lo:hi]; n += rows.nbytes
    return n
def jagged(s, e):
    o = f['sets/offsets'][s:e + 1]; n = o.nbytes
    for c in ('sets/x0', 'sets/x1'): n += f[c][o[0]:o[-1]].nbytes
    return n + f['target'][s:e].nbytes
def spanet(s, e):
    n = 0
    def walk(g):
        nonlocal n
        for k, v in g.items():
            if isinstance(v, h5py.Dataset): n += v[s:e].nbytes
            else: walk(v)
    walk(f)
    return n
t0 = time.perf_counter(); nbytes = 0; entries = 0
for runs in plan:
    for s, e in runs:
        entries += e - s
        if kind == 'sparse2d': nbytes += larcv('/Data/sparse2d_%s_group' % producer, ['voxel_extents', 'voxels'], s, e)
        elif kind == 'cluster2d': nbytes += larcv('/Data/cluster2d_%s_group' % producer, ['projection_extents', 'cluster_extents', 'voxels'], s, e)
        elif kind == 'jagged': nbytes += jagged(s, e)
        else: nbytes += spanet(s, e)
dt = time.perf_counter() - t0
print(json.dumps({'entries': entries, 'bytes': nbytes, 'seconds': dt}))
`;

interface Row {
  name: string;
  file: string;
  entries: number;
  oursEps: number;
  oursMBs: number;
  pyEps: number;
  pyMBs: number;
}

async function measure(
  name: string,
  path: string,
  kind: string,
  producer: string,
  reader: EntryReader<unknown>,
  dir: string,
): Promise<Row> {
  const order = () => new EntryOrder({ range: { start: 0, end: reader.entries }, shuffle: true, seed: 1, batch: BATCH });
  // the same batches on both sides: h5py reads each batch's runs of consecutive entries
  const o = order();
  const plan = Array.from({ length: BATCHES }, () => entryRuns(o.next()!.entries).map((r) => [r.start, r.end]));
  const planPath = join(dir, `${name.replace(/\W+/g, '_')}.plan.json`);
  writeFileSync(planPath, JSON.stringify(plan));
  const br = new BatchReader(reader, order(), { prefetch: 0 });
  await br.next(); // warm caches (both sides read the file once before timing)
  const warmBytes = br.stats().bytesRead;
  br.restart();
  const t0 = performance.now();
  let bytes = 0;
  let entries = 0;
  for (let b = 0; b < BATCHES; b++) {
    const x = (await br.next())!;
    entries += x.entries.length;
  }
  const s = br.stats();
  bytes = s.bytesRead - warmBytes;
  const sec = (performance.now() - t0) / 1000;
  const py = spawnSync('/usr/bin/python3', ['-c', PY, path, kind, producer, planPath], { encoding: 'utf8' });
  if (py.status !== 0) throw new Error(`h5py side failed: ${py.stderr}`);
  const p = JSON.parse(py.stdout) as { entries: number; bytes: number; seconds: number };
  if (p.entries !== entries) throw new Error(`${name}: h5py read ${p.entries} entries, we read ${entries}`);
  log(`${name}: ours ${(entries / sec).toFixed(0)} entries/s, h5py ${(p.entries / p.seconds).toFixed(0)} entries/s`);
  return {
    name,
    file: path,
    entries,
    oursEps: entries / sec,
    oursMBs: bytes / 1e6 / sec,
    pyEps: p.entries / p.seconds,
    pyMBs: p.bytes / 1e6 / p.seconds,
  };
}

// the generic file as a physicist writes one with h5py (contiguous, no compression)
const GEN_SETS = `
import sys, numpy as np, h5py
path, N = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(9)
o = np.zeros(N + 1, dtype='<i8'); o[1:] = np.cumsum(rng.integers(1, 40, N))
with h5py.File(path, 'w') as f:
    for c in ('x0', 'x1'): f.create_dataset('sets/' + c, data=rng.standard_normal(int(o[-1])).astype('<f4'))
    f.create_dataset('sets/offsets', data=o)
    f.create_dataset('target', data=rng.standard_normal(N).astype('<f4'))
`;

const dir = mkdtempSync(join(tmpdir(), 'bench-stream-'));
try {
  log(`generating larcv3 (${ENTRIES} entries) and SPANet (${SPANET} events) files in ${dir}`);
  const larcv = join(dir, 'larcv3.h5');
  await writeLarcv3File(larcv, demoLarcv3Spec({ events: ENTRIES, seed: 9 }));
  const spanet = join(dir, 'spanet.h5');
  await writeSpanetFile(spanet, demoSpanetSpec({ events: SPANET, seed: 9 }));
  const sets = join(dir, 'sets.h5');
  const gen = spawnSync('/usr/bin/python3', ['-c', GEN_SETS, sets, String(SETS)], { encoding: 'utf8' });
  if (gen.status !== 0) throw new Error(`h5py could not write the sets file: ${gen.stderr}`);
  const src = await openNodeH5(larcv);
  const products = new Larcv3Reader(src).products();
  const sp = products.find((p) => p.type === 'sparse2d')!;
  const cl = products.find((p) => p.type === 'cluster2d')!;
  const sSrc = await openNodeH5(spanet);
  const jSrc = await openNodeH5(sets);
  const setsLayout = { features: ['/sets/x0', '/sets/x1'], offsets: '/sets/offsets', mode: 'offsets' as const, sets: SETS, targets: [] };
  const rows = [
    await measure(
      `larcv3 sparse2d "${sp.producer}"`,
      larcv,
      'sparse2d',
      sp.producer,
      larcv3SparseReader(src, 'sparse2d', sp.producer),
      dir,
    ),
    await measure(
      `larcv3 cluster2d "${cl.producer}"`,
      larcv,
      'cluster2d',
      cl.producer,
      larcv3ClusterReader(src, 'cluster2d', cl.producer),
      dir,
    ),
    await measure('SPANet events (SpanetEntryReader, as training streams them)', spanet, 'spanet', '', new SpanetEntryReader(sSrc), dir),
    await measure(
      `generic jagged sets (${SETS} sets), one read per run`,
      sets,
      'jagged',
      '',
      new JaggedSetsReader(jSrc, setsLayout, '/target', { gapBytes: -1 }),
      dir,
    ),
    await measure(
      `generic jagged sets (${SETS} sets), coalesced`,
      sets,
      'jagged',
      '',
      new JaggedSetsReader(jSrc, setsLayout, '/target'),
      dir,
    ),
  ];
  const f = (x: number, d = 0) => x.toFixed(d);
  const head = `batches of ${BATCH} shuffled entries, ${BATCHES} batches (${BATCH * BATCHES} entries) per case`;
  if (markdown) {
    console.log(
      `${head}\n\n| file | ours entries/s | ours MB/s | h5py entries/s | h5py MB/s | ratio ours / h5py (entries/s) |\n| --- | ---: | ---: | ---: | ---: | ---: |`,
    );
    for (const r of rows)
      console.log(
        `| ${r.name} | ${f(r.oursEps)} | ${f(r.oursMBs, 1)} | ${f(r.pyEps)} | ${f(r.pyMBs, 1)} | ${(r.oursEps / r.pyEps).toFixed(2)} |`,
      );
  } else {
    console.log(head);
    for (const r of rows)
      console.log(
        `${r.name}: ours ${f(r.oursEps)} entries/s (${f(r.oursMBs, 1)} MB/s), h5py ${f(r.pyEps)} entries/s (${f(r.pyMBs, 1)} MB/s), ratio ${(r.oursEps / r.pyEps).toFixed(2)}`,
      );
  }
  src.close();
  sSrc.close();
  jSrc.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
