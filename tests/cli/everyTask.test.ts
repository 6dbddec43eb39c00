/**
 * `physml train` runs every task from a RUN.json on its built-in data and writes the three
 * files; the weights it writes load back strictly into the same model (`physml export`).
 * Configurations are tiny so each run takes seconds on SwiftShader.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeStateDict } from '../../src/export/safetensors';
import { TASKS } from '../../src/tasks';
import { physml, readJsonLines, tempDir, writeJson } from './physml';

const TINY: Record<string, Record<string, number | string | boolean>> = {
  'toy-mlp': { trainSize: 64, testSize: 16, batchSize: 16, hidden: 4, layers: 1 },
  deepsets: { trainSets: 8, testSets: 8, phiWidth: 4, phiDepth: 1, rhoWidth: 4, rhoDepth: 1, batchCapacity: 4096 },
  'oc-clustering': { trainEvents: 2, testEvents: 1, eventsPerBatch: 1, minTracks: 2, maxTracks: 2, noiseHits: 2, hidden: 4 },
  'cosmic-uresnet': { trainEvents: 2, testEvents: 1, imageSize: 16, downsample: 0, batchSize: 1, network: 'small' },
  spanet: { demoEvents: 64, evalEvents: 16, batchSize: 8, width: 8, layers: 1, heads: 2, assignDim: 2 },
};

describe('physml train runs every task from a RUN.json', () => {
  it('covers every registered task', () => {
    expect(Object.keys(TINY).sort()).toEqual(TASKS.map((t) => t.id).sort());
  });

  for (const [task, config] of Object.entries(TINY)) {
    it(`${task}: metrics.jsonl, weights.safetensors and run.json, and the weights export back unchanged`, () => {
      const dir = tempDir(`physml-${task}-`);
      writeJson(join(dir, 'RUN.json'), { task, name: 'r', config, steps: 2, eval_every: 2, read_every: 1 });
      const r = physml(['train', 'RUN.json'], { cwd: dir });
      expect(r.status, r.stderr).toBe(0);
      const out = join(dir, 'runs/r');
      const lines = readJsonLines(join(out, 'metrics.jsonl'));
      const train = lines.filter((l) => l.split === 'train');
      expect(train.map((l) => l.step)).toEqual([1, 2]);
      for (const l of train) expect(Number.isFinite(l.loss), JSON.stringify(l)).toBe(true);
      expect(lines.some((l) => l.split === 'test' && l.step === 2)).toBe(true);
      const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
      expect(run.task).toBe(task);
      expect(run.config).toMatchObject(config);
      const weights = join(out, 'weights.safetensors');
      const { state } = decodeStateDict(new Uint8Array(readFileSync(weights)), weights);
      expect(Object.keys(state).length).toBeGreaterThan(1);

      // Strict load into a freshly built model and written out again: the same bytes per tensor.
      const again = join(dir, 'again.safetensors');
      const e = physml(['export', out, '--format', 'safetensors', '--out', again], { cwd: dir });
      expect(e.status, e.stderr).toBe(0);
      expect(existsSync(again)).toBe(true);
      const back = decodeStateDict(new Uint8Array(readFileSync(again)), again).state;
      expect(Object.keys(back).sort()).toEqual(Object.keys(state).sort());
      for (const k of Object.keys(state))
        expect(Array.from(back[k].data as ArrayLike<number | bigint>), k).toEqual(Array.from(state[k].data as ArrayLike<number | bigint>));
    });
  }
});
