import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spanetReportText } from '../../src/tasks/spanet/reportText';
import type { TestReport } from '../../src/tasks/spanet/testReport';
import { spawnSync } from 'node:child_process';
import { demoSpanetSpec } from '../../tools/writers/demoSpanet';
import { spanetFixture } from '../data/fixtures';
import { BIN, physml, ROOT, tempDir, writeJson } from './physml';

/** As physml(), with room for two SPANet model builds on a shared SwiftShader machine. */
function physmlSlow(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, npm_lifecycle_script: '', INIT_CWD: '' },
    encoding: 'utf8',
    timeout: 400_000,
    maxBuffer: 64 << 20,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const DEMO = join(ROOT, 'public/demo/spanet_demo.h5');
const nan = (o: Record<string, number | null>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v ?? NaN]));

/** The report back from `--out` JSON (null → NaN), to print it again. */
function fromJson(j: any): TestReport {
  return {
    jetLimits: j.jet_limits,
    clusters: j.clusters,
    results: Object.fromEntries(Object.entries<any>(j.tables).map(([k, v]) => [k, nan(v)])),
    validation: nan(j.validation),
    events: j.events,
  };
}

describe('physml evaluate', () => {
  it('prints spanet.test tables, jet accuracy and detection metrics for every event of --file, and the same report as JSON', async () => {
    const dir = tempDir();
    // 60 events with up to 8 jet slots (the model's data has 10: padded)
    const spec = demoSpanetSpec({ events: 60, maxJets: 8, seed: 9 });
    const testFile = await spanetFixture(dir, 'test.h5', spec);
    const mask = spec.sources[0]!.mask!;
    let minJets = Infinity;
    for (let e = 0; e < 60; e++)
      minJets = Math.min(
        minJets,
        Array.from(mask)
          .slice(e * 8, e * 8 + 8)
          .reduce((a, v) => a + v, 0),
      );
    const lo = minJets + 1; // + the MET vector
    const run = writeJson(join(dir, 'run.json'), {
      task: 'spanet',
      name: 'ev',
      config: { batchSize: 50, width: 8, layers: 1, heads: 2, assignDim: 2, testFraction: 0.2 },
      data: { train: DEMO, entries: 100 },
      steps: 0,
      eval_every: 0,
    });
    const trained = physmlSlow(['train', run, '--out', join(dir, 'out')]);
    expect(trained.status, trained.stderr).toBe(0);
    const r = physmlSlow([
      'evaluate',
      run,
      '--weights',
      join(dir, 'out/weights.safetensors'),
      '--file',
      testFile,
      '--out',
      join(dir, 'report.json'),
    ]);
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
    // every event of the file, not the 100 the model was built on
    expect(j.events).toBe(60);
    expect(r.stderr).toMatch(/evaluated 60 \/ 60 events/);
    // bins as upstream's: == min, == min+1, >= min+2, Full (vectors = jets + one MET vector)
    expect(j.jet_limits).toEqual([`== ${lo}`, `== ${lo + 1}`, `>= ${lo + 2}`, 'Full']);
    const full = j.tables.Full;
    expect(full['0t/event_proportion'] + full['1t/event_proportion'] + full['2t/event_proportion']).toBeCloseTo(1, 12);
    expect(Object.keys(j.validation).sort()).toEqual(
      [
        'jet/accuracy_1_of_1',
        'jet/accuracy_1_of_2',
        'jet/accuracy_2_of_2',
        'particle/accuracy_1_of_1',
        'particle/accuracy_1_of_2',
        'particle/accuracy_2_of_2',
        'particle/accuracy',
        'particle/sensitivity',
        'particle/specificity',
        'particle/f_score',
        'validation_accuracy',
        'validation_average_jet_accuracy',
      ].sort(),
    );
    for (const k of ['particle/accuracy', 'particle/sensitivity', 'particle/specificity', 'particle/f_score'])
      expect(j.validation[k], k).toBeGreaterThanOrEqual(0);
    // stdout is the text of the same report
    expect(r.stdout).toBe(`Test events: 60 from ${testFile}\n${spanetReportText(fromJson(j))}`);
    expect(r.stdout).toMatch(/Event Type: \*t\n/);
    expect(r.stdout).toMatch(/Jet Limit +\| Event Proportion +\| Jet Proportion +\| Event Purity +\| T Purity +\| \n/);
  }, 800_000);

  it('refuses a missing --weights (usage, exit 2) and a task without a report (exit 1)', () => {
    const dir = tempDir();
    const toy = writeJson(join(dir, 'toy.json'), { task: 'toy-mlp' });
    const a = physml(['evaluate', toy]);
    expect(a.status).toBe(2);
    expect(a.stderr).toMatch(/--weights W\.safetensors is required/);
    const b = physml(['evaluate', toy, '--weights', join(dir, 'w.safetensors')]);
    expect(b.status).toBe(1);
    expect(b.stderr).toMatch(/task "toy-mlp" has no evaluation report yet/);
  });
});
