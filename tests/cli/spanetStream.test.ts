/**
 * `physml train` streams SPANet: SPANet's semi_leptonic_ttH example options and event file
 * (shrunk by "options"), the ttH example file as the train file and a copy of its first
 * events as a separate validation file, a test file evaluated once at the end.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, readJsonLines, ROOT, tempDir, writeJson } from './physml';
import { hasTtH, TTH_FILE } from '../spanet/fixtures';

const UP = join(ROOT, 'tests/fixtures/spanet-upstream');
const SMALL = {
  hidden_dim: 8,
  transformer_dim: 8,
  initial_embedding_dim: 4,
  position_embedding_dim: 4,
  num_embedding_layers: 1,
  num_encoder_layers: 1,
  num_branch_embedding_layers: 1,
  num_branch_encoder_layers: 1,
  num_jet_encoder_layers: 1,
  num_detector_layers: 1,
  num_regression_layers: 1,
  num_classification_layers: 1,
  batch_size: 8,
};

describe('physml train: SPANet streamed', () => {
  it.skipIf(!hasTtH)('trains from a train file, validates on a validation file and writes test.json from a test file', () => {
    const dir = tempDir('physml-spanet-stream-');
    copyFileSync(TTH_FILE, join(dir, 'val.h5'));
    copyFileSync(TTH_FILE, join(dir, 'test.h5'));
    writeJson(join(dir, 'RUN.json'), {
      task: 'spanet',
      name: 'ss',
      options_file: join(UP, 'options_files/semi_leptonic_ttH/example.json'),
      event_file: join(UP, 'event_files/semi_leptonic_ttH.yaml'),
      options: SMALL,
      optimizer: { lr: 5e-3 },
      steps: 3,
      eval_every: 3,
      read_every: 1,
      seed: 4,
      data: { train: TTH_FILE, validation: 'val.h5', test: 'test.h5', eval_entries: 24 },
    });
    const r = spawnSync(process.execPath, [BIN, 'train', 'RUN.json'], { cwd: dir, encoding: 'utf8', timeout: 400_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/streaming \(train spanet_semi_leptonic_ttH_example\.h5, validation val\.h5, test test\.h5; batch 8\)/);
    // the statistics pass read the whole train file (1000 events) before training
    expect(r.stderr).toMatch(/statistics pass: 1000 \/ 1000 events/);
    const rows = readJsonLines(join(dir, 'runs/ss/metrics.jsonl'));
    const train = rows.filter((x) => x.split === 'train');
    expect(train.map((x) => x.step)).toEqual([1, 2, 3]);
    expect(train.every((x) => Number.isFinite(Number(x.loss)) && Number(x.input_fraction) >= 0)).toBe(true);
    const tests = rows.filter((x) => x.split === 'test');
    expect(tests.length).toBeGreaterThanOrEqual(1);
    for (const t of tests) {
      expect(t.entries).toBe(24);
      expect(Number(t['event purity'])).toBeGreaterThanOrEqual(0);
    }
    const out = JSON.parse(readFileSync(join(dir, 'runs/ss/test.json'), 'utf8'));
    expect(out).toMatchObject({ step: 3, entries: 1000 });
    expect(out.file).toMatch(/test\.h5$/);
  }, 420_000);
});
