/** `physml train` on a data file: the app's file → task path (options, reads, conversion) from disk. */
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeStateDict } from '../../src/export/safetensors';
import { physml, readJsonLines, ROOT, tempDir, writeJson } from './physml';

const RUN = {
  task: 'deepsets',
  name: 'sets',
  steps: 2,
  eval_every: 0,
  read_every: 1,
  config: { phiWidth: 8, phiDepth: 1, rhoWidth: 8, rhoDepth: 1, trainSets: 20, testSets: 20 },
  data: { train: 'data/sets_demo.h5' },
};

describe('physml train on a file', () => {
  it('asks for data.option when the file offers several, then trains on the chosen one and exports it', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'data'));
    copyFileSync(join(ROOT, 'public/demo/sets_demo.h5'), join(dir, 'data/sets_demo.h5'));
    // The data path is relative to RUN.json's directory, not the cwd.
    mkdirSync(join(dir, 'cfg'));
    writeJson(join(dir, 'cfg/RUN.json'), { ...RUN, data: { train: '../data/sets_demo.h5' } });

    const ambiguous = physml(['train', 'cfg/RUN.json'], { cwd: dir });
    expect(ambiguous.status).toBe(1);
    expect(ambiguous.stderr).toContain(
      'data.option: sets_demo.h5 offers 2 ways to train deepsets; choose one: "generic-sets:/sets/counts:/label"',
    );

    writeJson(join(dir, 'cfg/RUN.json'), { ...RUN, data: { train: '../data/sets_demo.h5', option: 'generic-sets:/sets/counts:/target' } });
    const r = physml(['train', 'cfg/RUN.json', '--out', 'out'], { cwd: dir });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/sets_demo\.h5: \/target: .*regression/);
    const run = JSON.parse(readFileSync(join(dir, 'out/run.json'), 'utf8'));
    expect(run.data).toEqual({ train: join(dir, 'data/sets_demo.h5'), option: 'generic-sets:/sets/counts:/target' });
    const lines = readJsonLines(join(dir, 'out/metrics.jsonl'));
    expect(lines.map((l) => [l.step, l.split])).toEqual([
      [1, 'train'],
      [2, 'train'],
    ]);

    // The run directory is enough to rebuild the model (its data decides the input width).
    const e = physml(['export', 'out', '--format', 'safetensors', '--out', 'w.safetensors'], { cwd: dir });
    expect(e.status, e.stderr).toBe(0);
    const a = decodeStateDict(new Uint8Array(readFileSync(join(dir, 'out/weights.safetensors')))).state;
    const b = decodeStateDict(new Uint8Array(readFileSync(join(dir, 'w.safetensors')))).state;
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
    for (const k of Object.keys(a)) expect(Array.from(b[k].data as Float32Array), k).toEqual(Array.from(a[k].data as Float32Array));
  });
});
