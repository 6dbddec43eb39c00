/** `physml train` with RUN.json data.test: the test file is streamed once at the end, into test.json. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { physml, tempDir, writeJson } from '../cli/physml';
import { writeNumberedSets } from './helpers';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));

describe('physml train data.test', () => {
  it('evaluates on the test file after the last step and writes test.json', async () => {
    const train = await writeNumberedSets(200);
    const test = await writeNumberedSets(70);
    cleanups.push(train.cleanup, test.cleanup);
    const dir = tempDir();
    const run = {
      task: 'deepsets',
      name: 'tf',
      steps: 4,
      eval_every: 2,
      read_every: 2,
      seed: 1,
      config: { phiWidth: 8, rhoWidth: 8, pool: 'mean' },
      data: { train: train.path, test: test.path, option: 'generic-sets:/sets/counts:/target', batch: 40 },
    };
    writeJson(join(dir, 'RUN.json'), run);
    const r = physml(['train', 'RUN.json'], { cwd: dir });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(readFileSync(join(dir, 'runs/tf/test.json'), 'utf8'));
    expect(out).toMatchObject({ step: 4, file: test.path, entries: 70 });
    expect(out.mse).toBeGreaterThan(0);
    expect(r.stderr).toMatch(new RegExp(`test file .*sets\\.h5 at step 4: loss [0-9.e+-]+, mse [0-9.e+-]+, entries 70`));

    // without data.test there is no test.json
    writeJson(join(dir, 'RUN2.json'), {
      ...run,
      name: 'nt',
      data: { train: train.path, option: run.data.option, batch: 40, stream: true },
    });
    const r2 = physml(['train', 'RUN2.json'], { cwd: dir });
    expect(r2.status, r2.stderr).toBe(0);
    expect(existsSync(join(dir, 'runs/nt/test.json'))).toBe(false);
  }, 180_000);
});
