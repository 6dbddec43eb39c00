/**
 * `physml train` streams SPANet: SPANet's full_hadronic_ttbar example options and event file
 * (shrunk by "options") on generated tt̄ files, a train file, a separate validation file and
 * a test file evaluated once at the end. Small files keep it quick on SwiftShader.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoSpanetSpec } from '../../tools/writers/demoSpanet';
import { writeSpanetFile } from '../../tools/writers/nodeWriters';
import { BIN, readJsonLines, ROOT, tempDir, writeJson } from './physml';
import { TINY_SPANET_NETWORK } from '../helpers/spanetTiny';

/** Generated tt̄ events in the layout full_hadronic_ttbar.yaml reads (one input "Source"; t1 / t2 with q1, q2, b). */
async function ttbarFile(path: string, events: number, seed: number): Promise<void> {
  const s = demoSpanetSpec({ events, maxJets: 8, seed });
  const f = s.sources[0].features as Record<string, Float32Array>;
  const phi = f.sin_phi.map((v, i) => Math.atan2(v, f.cos_phi[i]));
  await writeSpanetFile(path, {
    nEvents: s.nEvents,
    sources: [
      { name: 'Source', features: { mass: f.mass, pt: f.pt, eta: f.eta, phi, btag: f.btag }, mask: s.sources[0].mask, maxLength: 8 },
    ],
    targets: s.targets,
  });
}

const UP = join(ROOT, 'tests/fixtures/spanet-upstream');
const SMALL = {
  ...TINY_SPANET_NETWORK,
  batch_size: 8,
};

describe('physml train: SPANet streamed', () => {
  it('trains from a train file, validates on a validation file and writes test.json from a test file', async () => {
    const dir = tempDir('physml-spanet-stream-');
    await ttbarFile(join(dir, 'train.h5'), 120, 1);
    await ttbarFile(join(dir, 'val.h5'), 40, 2);
    await ttbarFile(join(dir, 'test.h5'), 16, 3);
    writeJson(join(dir, 'RUN.json'), {
      task: 'spanet',
      name: 'ss',
      options_file: join(UP, 'options_files/full_hadronic_ttbar/example.json'),
      event_file: join(UP, 'event_files/full_hadronic_ttbar.yaml'),
      options: SMALL,
      optimizer: { lr: 5e-3 },
      steps: 3,
      eval_every: 3,
      read_every: 1,
      seed: 4,
      data: { train: 'train.h5', validation: 'val.h5', test: 'test.h5', eval_entries: 24 },
    });
    const r = spawnSync(process.execPath, [BIN, 'train', 'RUN.json'], { cwd: dir, encoding: 'utf8', timeout: 400_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/streaming \(train train\.h5, validation val\.h5, test test\.h5; batch 8\)/);
    // the statistics pass read the whole train file before training
    expect(r.stderr).toMatch(/statistics pass: 120 \/ 120 events/);
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
    expect(out).toMatchObject({ step: 3, entries: 16 });
    expect(out.file).toMatch(/test\.h5$/);
  }, 420_000);
});
