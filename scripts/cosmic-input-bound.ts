/**
 * How much of a streamed cosmic training step waits for data, at downsample 0, 1 and 2: the
 * Trainer's `input_fraction` (time awaiting the next batch / step time), averaged over the
 * steps after the first (the first compiles the pipelines). Each setting trains the small
 * preset through `physml train` from a generated larcv3 file of S×S planes, so reading,
 * the sparse payload and the GPU densify/downsample are all in the measured path.
 *
 *   npx tsx scripts/cosmic-input-bound.ts [S=256] [steps=8]
 *
 * On SwiftShader the "GPU" is the same CPU cores, so the figure says how the work splits on
 * this machine, not how idle a real GPU would be.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { syntheticPlanes } from '../src/tasks/cosmic/synthetic';
import { denseToLarcv3 } from '../tools/writers/denseToLarcv3';
import { writeLarcv3File } from '../tools/writers/nodeWriters';

const size = Number(process.argv[2] ?? 256);
const steps = Number(process.argv[3] ?? 8);
const bin = resolve(import.meta.dirname, '../bin/physml.mjs');
const dir = mkdtempSync(join(tmpdir(), 'cosmic-input-'));
try {
  await writeLarcv3File(join(dir, 'train.h5'), denseToLarcv3(syntheticPlanes({ events: 4 * steps, size, seed: 7 }), 'wire', 'cosmicseg'));
  const rows: string[] = [];
  for (const downsample of [0, 1, 2]) {
    const name = `k${downsample}`;
    const run = {
      task: 'cosmic-uresnet',
      name,
      steps,
      read_every: 1,
      seed: 1,
      config: { network: 'small', downsample, batchSize: 2, balance: 'focal' },
      data: { train: 'train.h5', split: 0.9, stream: true },
    };
    writeFileSync(join(dir, `${name}.json`), JSON.stringify(run));
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [bin, 'train', `${name}.json`], { cwd: dir, encoding: 'utf8', timeout: 1_800_000 });
    if (r.status !== 0) throw new Error(`physml train (downsample ${downsample}) failed: ${r.stderr}`);
    const points = readFileSync(join(dir, 'runs', name, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((x) => x.split === 'train' && x.step > 1);
    const mean = (k: string) => {
      if (!points.every((x) => typeof x[k] === 'number'))
        throw new Error(`metrics.jsonl (downsample ${downsample}) lacks ${k} on some steps`);
      return points.reduce((s, x) => s + x[k], 0) / points.length;
    };
    const side = size >> downsample;
    rows.push(
      `| ${downsample} | 3×${side}×${side} | ${points.length} | ${(100 * mean('input_fraction')).toFixed(2)} % | ${mean('data_wait_ms').toFixed(2)} | ${((performance.now() - t0) / 1000).toFixed(0)} s |`,
    );
  }
  console.log(`cosmic streaming, small preset, batch 2, ${size}×${size} planes read from larcv3:\n`);
  console.log('| downsample k | network input | steps averaged | input-bound share | data wait per step (ms) | run wall time |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const r of rows) console.log(r);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
