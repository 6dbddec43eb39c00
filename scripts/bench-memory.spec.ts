/**
 * Memory while Deep Sets streams from a generic jagged-sets file larger than 4 GB (8.8 GB by
 * default: BENCH_MEMORY_SETS sets of 1,000 elements, 8 bytes each), in the app (Chromium: the
 * renderer process holds the page and both workers; the GPU process holds the WebGPU buffers)
 * and in `physml train`. Memory is read from /proc every 250 ms: RSS and PSS per process of the
 * browser's tree, and of the CLI process. Run with `npm run bench:memory` (minutes, not part of
 * `npm test`; e2e/stream-memory.spec.ts is the CI check on a 1 GB file). Prints one JSON line
 * per part (`bench-memory: {...}`) and appends them to BENCH_MEMORY_OUT when set.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { hasH5py, Sampler, treeMemory, writeLargeSets } from './bench-memory-lib';
import { browserStreamMemory, BOUND_MIB } from './bench-memory-browser';

const SETS = Number(process.env.BENCH_MEMORY_SETS ?? 1_100_000);
const STEPS = Number(process.env.BENCH_MEMORY_STEPS ?? 60);
const ROOT = new URL('../', import.meta.url).pathname;

let dir = '';
// the large file, and a small one of the same layout (4,000 sets, 32 MB, all written): the
// same run on both tells what the file's size adds (nothing, if the bound holds)
const files: Record<'large' | 'small', string> = { large: '', small: '' };

test.beforeAll(() => {
  test.skip(!hasH5py(), 'needs Debian python3-h5py');
  dir = mkdtempSync(join(tmpdir(), 'bench-memory-'));
  files.large = join(dir, 'large_sets.h5');
  files.small = join(dir, 'small_sets.h5');
  writeLargeSets(files.large, SETS);
  writeLargeSets(files.small, 4000);
});
test.afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function report(part: string, file: string, r: object): void {
  const line = JSON.stringify({ part, file_gb: +(statSync(file).size / 1e9).toFixed(3), ...r });
  console.log(`bench-memory: ${line}`);
  if (process.env.BENCH_MEMORY_OUT) appendFileSync(process.env.BENCH_MEMORY_OUT, `${line}\n`);
}

for (const which of ['small', 'large'] as const) {
  test(`physml train streams the ${which} file with bounded RSS`, async () => {
    test.setTimeout(900_000);
    const file = files[which];
    const run = {
      task: 'deepsets',
      name: 'mem',
      seed: 1,
      steps: STEPS,
      eval_every: 0,
      read_every: 10,
      config: { phiWidth: 16, phiDepth: 2, rhoWidth: 16, rhoDepth: 1, pool: 'mean' },
      data: { train: file, option: 'generic-sets:/sets/offsets:/target', stream: true, batch: 32, prefetch: 3, eval_entries: 64 },
    };
    writeFileSync(join(dir, 'RUN.json'), JSON.stringify(run));
    const child = spawn(process.execPath, [join(ROOT, 'bin/physml.mjs'), 'train', 'RUN.json', '--out', `out-${which}`], { cwd: dir });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const sampler = new Sampler(() => {
      const t = treeMemory(child.pid!, true);
      return { rssMiB: t.reduce((a, p) => a + p.rssMiB, 0), pssMiB: t.reduce((a, p) => a + p.pssMiB, 0) };
    });
    const t0 = Date.now();
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    sampler.stop();
    expect(code, stderr).toBe(0);
    report('node', file, {
      steps: STEPS,
      seconds: (Date.now() - t0) / 1000,
      peak_rss_mib: Math.round(sampler.peak.rssMiB),
      peak_pss_mib: Math.round(sampler.peak.pssMiB),
      rss_by_quarter_mib: sampler.quarters('rssMiB'),
      samples: sampler.samples,
      last_line: stderr
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('step'))
        .at(-1),
    });
    expect(sampler.peak.rssMiB).toBeLessThan(BOUND_MIB);
  });

  test(`the app streams the ${which} file with the page and both workers under the bound`, async ({ page }) => {
    test.setTimeout(900_000);
    const r = await browserStreamMemory(page, files[which], STEPS);
    report('browser', files[which], r);
    expect(r.renderer_peak_rss_mib).toBeGreaterThan(0); // the renderer was found
    expect(r.renderer_peak_rss_mib).toBeLessThan(BOUND_MIB);
  });
}
