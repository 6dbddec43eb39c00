/** `physml train` and `physml export` end to end on the toy task (SwiftShader, a few steps). */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeStateDict } from '../../src/export/safetensors';
import type { StateDict } from '../../src/nn/stateDict';
import { TASKS } from '../../src/tasks';
import { DEFAULT_OPTIMIZER } from '../../src/train/optimConfig';
import { parseRunConfig } from '../../src/train/runConfig';
import { physml, readJsonLines, tempDir, TINY_TOY, writeJson } from './physml';

const readState = (path: string): StateDict => decodeStateDict(new Uint8Array(readFileSync(path)), path).state;

function expectSameState(a: StateDict, b: StateDict) {
  expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
  for (const k of Object.keys(a)) {
    expect(b[k].shape, k).toEqual(a[k].shape);
    // Bit-exact: weights go GPU → file → GPU → file with no arithmetic in between.
    expect(Array.from(b[k].data as Float32Array), k).toEqual(Array.from(a[k].data as Float32Array));
  }
}

describe('physml train', () => {
  it('writes metrics.jsonl, weights.safetensors and a run.json with every default, into runs/<name> under the cwd', () => {
    const dir = tempDir();
    writeJson(join(dir, 'RUN.json'), TINY_TOY);
    const r = physml(['train', 'RUN.json'], { cwd: dir });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/step 6\/6/);
    const out = join(dir, 'runs/tiny');

    const lines = readJsonLines(join(out, 'metrics.jsonl'));
    const train = lines.filter((l) => l.split === 'train');
    const test = lines.filter((l) => l.split === 'test');
    expect(train.map((l) => l.step)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const l of train) {
      expect(typeof l.wall_ms).toBe('number');
      expect(Number.isFinite(l.loss)).toBe(true);
    }
    // Evaluations at the start and every eval_every steps.
    expect(test.map((l) => l.step)).toEqual([0, 3, 6]);
    for (const l of test) expect(Number.isFinite(l.loss)).toBe(true);
    const wall = train.map((l) => l.wall_ms as number);
    expect(wall.every((w, i) => i === 0 || w >= wall[i - 1])).toBe(true);

    const state = readState(join(out, 'weights.safetensors'));
    // hidden 8, one hidden layer: Linear(2→8), Linear(8→1) in torch layout [out, in].
    expect(Object.keys(state).sort()).toEqual(['layers.0.bias', 'layers.0.weight', 'layers.1.bias', 'layers.1.weight']);
    expect(state['layers.0.weight'].shape).toEqual([8, 2]);
    expect(state['layers.1.weight'].shape).toEqual([1, 8]);

    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    expect(run.config).toEqual({ ...TASKS.find((t) => t.id === 'toy-mlp')!.defaults, ...TINY_TOY.config });
    expect(run.optimizer).toEqual({ ...DEFAULT_OPTIMIZER, lr: 3e-3 });
    expect(run).toMatchObject({ task: 'toy-mlp', name: 'tiny', steps: 6, eval_every: 3, read_every: 2, accumulate: 1, seed: 1, data: {} });
    // The resolved file is itself a valid RUN.json that resolves to itself.
    expect(parseRunConfig(run, TASKS)).toEqual(run);
  });

  it('--weights continues from saved weights (strict), and export writes them back unchanged', () => {
    const dir = tempDir();
    writeJson(join(dir, 'RUN.json'), TINY_TOY);
    const a = physml(['train', 'RUN.json', '--steps', '3', '--out', 'a'], { cwd: dir });
    expect(a.status, a.stderr).toBe(0);
    const trained = readState(join(dir, 'a/weights.safetensors'));

    const b = physml(['train', 'RUN.json', '--steps', '0', '--weights', 'a/weights.safetensors', '--out', 'b'], { cwd: dir });
    expect(b.status, b.stderr).toBe(0);
    expect(b.stderr).toMatch(/loaded 4 tensors/);
    expectSameState(trained, readState(join(dir, 'b/weights.safetensors')));

    const e = physml(['export', 'a', '--format', 'safetensors', '--out', 'exported.safetensors'], { cwd: dir });
    expect(e.status, e.stderr).toBe(0);
    expectSameState(trained, readState(join(dir, 'exported.safetensors')));

    // Fine-tuning starts from the loaded weights: its first evaluation is the trained one's last.
    const testLoss = (d: string) =>
      readJsonLines(join(dir, d, 'metrics.jsonl'))
        .filter((l) => l.split === 'test')
        .map((l) => l.loss);
    expect(testLoss('b')[0]).toBe(testLoss('a').at(-1));
    expect(testLoss('b')[0]).not.toBe(testLoss('a')[0]);
  });

  it('refuses weights of another shape, naming the keys, and writes nothing', () => {
    const dir = tempDir();
    writeJson(join(dir, 'RUN.json'), TINY_TOY);
    expect(physml(['train', 'RUN.json', '--steps', '0', '--out', 'a'], { cwd: dir }).status).toBe(0);
    writeJson(join(dir, 'WIDE.json'), { ...TINY_TOY, config: { ...TINY_TOY.config, hidden: 5 } });
    const r = physml(['train', 'WIDE.json', '--weights', 'a/weights.safetensors', '--out', 'wide'], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/layers\.0\.weight: expected \[5, 2\] F32, got \[8, 2\] F32/);
    expect(r.stderr).toContain(join(dir, 'a/weights.safetensors'));
    expect(existsSync(join(dir, 'wide'))).toBe(false);
  });

  it('names an unknown key and the allowed ones, with exit code 1', () => {
    const dir = tempDir();
    writeJson(join(dir, 'RUN.json'), { ...TINY_TOY, optimizer: { lr: 1e-3, betas: [0.9, 0.99] } });
    const r = physml(['train', 'RUN.json'], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/RUN\.json: optimizer\.betas: unknown key \(allowed: name, lr, weight_decay, beta1, beta2/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('rejects unknown options and a missing RUN.json with usage errors', () => {
    expect(physml(['train', 'x.json', '--step', '3']).stderr).toMatch(/unknown option --step \(options: --steps, --out, --weights/);
    const dir = tempDir();
    const r = physml(['train', 'nope.json'], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${join(dir, 'nope.json')}: file not found`);
  });
});

describe('physml export', () => {
  it('needs --format and --out, and weights for a RUN.json', () => {
    const dir = tempDir();
    writeJson(join(dir, 'RUN.json'), TINY_TOY);
    expect(physml(['export', 'RUN.json', '--out', 'x'], { cwd: dir }).stderr).toMatch(/--format must be onnx or safetensors/);
    expect(physml(['export', 'RUN.json', '--format', 'onnx'], { cwd: dir }).stderr).toMatch(/--out FILE is required/);
    const r = physml(['export', 'RUN.json', '--format', 'safetensors', '--out', 'x'], { cwd: dir });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--weights W\.safetensors is required/);
  });

  it("--format onnx writes the task's verified ONNX model of the loaded weights", () => {
    const dir = tempDir();
    const run = {
      task: 'deepsets',
      name: 'ds',
      steps: 1,
      eval_every: 0,
      config: { phiWidth: 8, rhoWidth: 8, phiDepth: 1, rhoDepth: 1, trainSets: 8, testSets: 8, batchCapacity: 4096 },
    };
    writeJson(join(dir, 'RUN.json'), run);
    expect(physml(['train', 'RUN.json'], { cwd: dir }).status).toBe(0);
    const r = physml(['export', 'runs/ds', '--format', 'onnx', '--out', 'ds.onnx'], { cwd: dir });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/onnxruntime-web agrees on 8 test sets/);
    const bytes = readFileSync(join(dir, 'ds.onnx'));
    expect(bytes.includes(Buffer.from('physml.verified_with'))).toBe(true);
  });
});
