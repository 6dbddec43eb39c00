/** `physml train` of cosmic tagging from larcv3 files by role: the train file streams, the validation file is evaluated, the test file once at the end. */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { syntheticPlanes } from '../../src/tasks/cosmic/synthetic';
import { denseToLarcv3 } from '../../tools/writers/denseToLarcv3';
import { writeLarcv3File } from '../../tools/writers/nodeWriters';
import { BIN, readJsonLines, tempDir, writeJson } from './physml';

describe('physml train: cosmic tagging streamed', () => {
  it('trains from a train file, validates on a validation file and writes test.json from a test file', async () => {
    const dir = tempDir('physml-cosmic-');
    const write = async (name: string, events: number, seed: number) => {
      await writeLarcv3File(join(dir, name), denseToLarcv3(syntheticPlanes({ events, size: 16, seed }), 'wire', 'cosmicseg'));
      return name;
    };
    const run = {
      task: 'cosmic-uresnet',
      name: 'cs',
      steps: 2,
      eval_every: 2,
      read_every: 1,
      seed: 2,
      config: { network: 'small', downsample: 1, batchSize: 2, balance: 'light' },
      data: { train: await write('train.h5', 8, 1), validation: await write('val.h5', 4, 2), test: await write('test.h5', 3, 3) },
    };
    writeJson(join(dir, 'RUN.json'), run);
    // the U-ResNet's pipelines compile on the first step: more than physml()'s 90 s on loaded SwiftShader CPUs
    const r = spawnSync(process.execPath, [BIN, 'train', 'RUN.json'], { cwd: dir, encoding: 'utf8', timeout: 400_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/streaming \(train train\.h5, validation val\.h5, test test\.h5; batch 2\)/);
    const rows = readJsonLines(join(dir, 'runs/cs/metrics.jsonl'));
    const train = rows.filter((x) => x.split === 'train');
    expect(train.map((x) => x.step)).toEqual([1, 2]);
    expect(train.every((x) => Number(x.loss) > 0 && Number(x.input_fraction) >= 0)).toBe(true);
    // the evaluations (step 0 and the last step) stream the whole validation file
    const tests = rows.filter((x) => x.split === 'test');
    expect(tests.length).toBeGreaterThanOrEqual(1);
    for (const t of tests) {
      expect(t.entries).toBe(4);
      expect(Number(t['Average/Cosmic_IoU'])).toBeGreaterThanOrEqual(0);
    }
    const out = JSON.parse(readFileSync(join(dir, 'runs/cs/test.json'), 'utf8'));
    expect(out).toMatchObject({ step: 2, entries: 3 });
    expect(out.file).toMatch(/test\.h5$/);
    expect(existsSync(join(dir, 'runs/cs/weights.safetensors'))).toBe(true);
  }, 420_000);
});
