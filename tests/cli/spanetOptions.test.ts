/**
 * `physml train` on RUN.json files naming SPANet's own example options and event files
 * (tests/fixtures/spanet-upstream, unmodified) with "options" overrides that shrink the
 * network for SwiftShader: both example configurations train the spanet-v2 model.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { demoSpanetSpec } from '../../tools/writers/demoSpanet';
import { writeSpanetFile } from '../../tools/writers/nodeWriters';
import { hasTtH, TTH_FILE } from '../spanet/fixtures';
import { BIN, readJsonLines, ROOT, tempDir, writeJson } from './physml';
import { TINY_SPANET_NETWORK } from '../helpers/spanetTiny';

const UP = join(ROOT, 'tests/fixtures/spanet-upstream');
/** Small enough for a few SwiftShader steps; every other option stays the example's. */
const SMALL = {
  ...TINY_SPANET_NETWORK,
  batch_size: 8,
};

function train(dir: string) {
  const r = spawnSync(process.execPath, [BIN, 'train', 'RUN.json', '--out', 'out'], {
    cwd: dir,
    env: { ...process.env, npm_lifecycle_script: '', INIT_CWD: '' },
    encoding: 'utf8',
    timeout: 600_000,
  });
  return { status: r.status, stderr: r.stderr };
}

/** 40 events, 38 train (split 0.95) = 4 batches of 8: epoch 3 sees epoch 1's events again, shuffled. */
function lossFalls(dir: string) {
  const losses = readJsonLines(join(dir, 'out/metrics.jsonl'))
    .filter((m) => m.split === 'train')
    .map((m) => m.loss as number);
  expect(losses.length).toBe(12);
  expect(losses.every(Number.isFinite)).toBe(true);
  const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
  expect(mean(losses.slice(8))).toBeLessThan(mean(losses.slice(0, 4)));
}

const run = (dir: string, extra: Record<string, unknown>) =>
  writeJson(join(dir, 'RUN.json'), {
    task: 'spanet',
    options: SMALL,
    optimizer: { lr: 5e-3 },
    steps: 12,
    eval_every: 12,
    read_every: 1,
    ...extra,
  });

describe('physml train with SPANet options files (RUN.json "options_file", "event_file", "options")', () => {
  let ttbar: string;
  beforeAll(async () => {
    // the demo generator's tt̄ events in the layout upstream's full_hadronic_ttbar.yaml reads:
    // one SEQUENTIAL input "Source" (mass, pt, eta, phi, btag), t1 / t2 with q1, q2, b
    const s = demoSpanetSpec({ events: 40, maxJets: 8, seed: 3 });
    const f = s.sources[0].features as Record<string, Float32Array>;
    const phi = f.sin_phi.map((v, i) => Math.atan2(v, f.cos_phi[i]));
    ttbar = join(tempDir('spanet-ttbar-'), 'ttbar.h5');
    await writeSpanetFile(ttbar, {
      nEvents: s.nEvents,
      sources: [
        { name: 'Source', features: { mass: f.mass, pt: f.pt, eta: f.eta, phi, btag: f.btag }, mask: s.sources[0].mask, maxLength: 8 },
      ],
      targets: s.targets,
    });
  });

  it('full_hadronic_ttbar: the example options and event file train on a generated tt̄ file, and the loss falls', () => {
    const dir = tempDir('spanet-opt-');
    // paths relative to the RUN.json
    run(dir, {
      options_file: relative(dir, join(UP, 'options_files/full_hadronic_ttbar/example.json')),
      event_file: relative(dir, join(UP, 'event_files/full_hadronic_ttbar.yaml')),
      data: { train: ttbar },
    });
    const r = train(dir);
    expect(r.status, r.stderr).toBe(0);
    // what the example sets that the model does not use is listed by name (balance_particles is used since a1d90c6)
    expect(r.stderr).toMatch(/not used by this model yet: [^\n]*num_dataloader_workers/);
    lossFalls(dir);
    const written = JSON.parse(readFileSync(join(dir, 'out/run.json'), 'utf8'));
    // the resolved run holds the files' text, so it repeats without them
    expect(JSON.parse(written.config.optionsJson).learning_rate_cycles).toBe(1);
    expect(written.config.eventYaml).toMatch(/t1:\s*\n\s*- q1/);
    expect(JSON.parse(written.config.optionsOverrides).hidden_dim).toBe(8);
    const sd = readFileSync(join(dir, 'out/weights.safetensors'));
    const header = JSON.parse(sd.subarray(8, 8 + Number(sd.readBigUInt64LE(0))).toString('utf8'));
    expect(Object.keys(header)).toContain('branch_decoders.1.attention.linear_layers.2.weight');
  }, 900_000);

  it.skipIf(!hasTtH)(
    'semi_leptonic_ttH: the example options and event file train on the ttH example file, and the loss falls',
    () => {
      const dir = tempDir('spanet-opt-');
      run(dir, {
        options_file: join(UP, 'options_files/semi_leptonic_ttH/example.json'),
        event_file: join(UP, 'event_files/semi_leptonic_ttH.yaml'),
        data: { train: TTH_FILE, entries: 40 },
      });
      const r = train(dir);
      expect(r.status, r.stderr).toBe(0);
      lossFalls(dir);
      const test = readJsonLines(join(dir, 'out/metrics.jsonl')).filter((m) => m.split === 'test');
      // the evaluation at step 12 and the CLI's final one
      expect(test.length).toBeGreaterThanOrEqual(1);
      expect(Object.keys(test.at(-1)!)).toEqual(expect.arrayContaining(['regression EVENT/neutrino_px', 'classification EVENT/signal']));
    },
    900_000,
  );

  it('reports unknown options by name, and refuses a missing options file and options_file with config.optionsJson', () => {
    const dir = tempDir('spanet-opt-');
    writeFileSync(join(dir, 'opts.json'), JSON.stringify({ hidden_dim: 8, no_such_option: 3, batch_size: 8 }));
    // the options are resolved (and reported) before any step: no training needed
    run(dir, { options_file: 'opts.json', steps: 0, eval_every: 0 });
    const r = train(dir);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/unknown options no_such_option/);
    run(dir, { options_file: 'missing.json' });
    const m = train(dir);
    expect(m.status).toBe(1);
    expect(m.stderr).toMatch(/options_file: .*missing\.json: file not found/);
    run(dir, { options_file: 'opts.json', config: { optionsJson: '{}' } });
    expect(train(dir).stderr).toMatch(/give either options_file or config.optionsJson/);
  }, 900_000);
});
