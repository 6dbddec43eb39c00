/**
 * `physml train --checkpoint-every` / `--resume` end to end (separate processes, as a user
 * runs them): 8 steps uninterrupted vs 4 steps + resume to 8. metrics.jsonl must agree
 * bitwise on every train and test value (wall_ms aside).
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { physml, readJsonLines, tempDir, writeJson } from '../cli/physml';

const RUN = {
  task: 'toy-mlp', name: 'r',
  config: { trainSize: 128, testSize: 32, batchSize: 32, hidden: 8, layers: 1 },
  // decay_steps fixed: with 0 the schedule would decay over --steps, which the partial run changes.
  optimizer: { schedule: 'warmup_linear', warmup_steps: 2, decay_steps: 8 },
  steps: 8, eval_every: 3, read_every: 2,
};
const noWall = (rows: Record<string, unknown>[]) => rows.map(({ wall_ms: _w, ...r }) => r);

describe('physml train --resume', () => {
  it('continues from the newest checkpoint with the same losses as an uninterrupted run', () => {
    const dir = tempDir();
    writeJson(join(dir, 'RUN.json'), RUN);
    const whole = physml(['train', 'RUN.json', '--out', 'whole'], { cwd: dir });
    expect(whole.status, whole.stderr).toBe(0);

    const part = physml(['train', 'RUN.json', '--out', 'part', '--steps', '5', '--checkpoint-every', '2', '--keep', '2'], { cwd: dir });
    expect(part.status, part.stderr).toBe(0);
    // Checkpoints at 2, 4 and the end (5); the last two are kept.
    expect(readdirSync(join(dir, 'part/checkpoints')).sort()).toEqual(['step-000000004', 'step-000000005']);
    const meta = JSON.parse(readFileSync(join(dir, 'part/checkpoints/step-000000004/checkpoint.json'), 'utf8'));
    expect(meta).toMatchObject({ format: 'physml-checkpoint', step: 4, position: { micro_batch: 4 }, optimizer: { name: 'adamw', step: 4 }, run: { task: 'toy-mlp' } });
    expect(meta.metrics.test.loss).toBeTypeOf('number');

    // A crash after step 5's checkpoint leaves rows past it: resume from step 4's folder drops them.
    const res = physml(['train', 'RUN.json', '--resume', 'part/checkpoints/step-000000004'], { cwd: dir });
    expect(res.status, res.stderr).toBe(0);
    expect(res.stderr).toMatch(/resumed at step 4/);
    const a = readJsonLines(join(dir, 'whole/metrics.jsonl'));
    const b = readJsonLines(join(dir, 'part/metrics.jsonl'));
    expect(noWall(b)).toEqual(noWall(a));
    const wall = b.filter((r) => r.split === 'train').map((r) => r.wall_ms as number);
    expect(wall.every((w, i) => i === 0 || w >= wall[i - 1])).toBe(true);
    // Same weights, same step in the metadata: the same bytes.
    expect(readFileSync(join(dir, 'part/weights.safetensors')).equals(readFileSync(join(dir, 'whole/weights.safetensors')))).toBe(true);
    expect(existsSync(join(dir, 'part/checkpoints/step-000000008/checkpoint.json'))).toBe(true);
  }, 180_000);

  it('refuses a RUN.json that trains a different model, and a folder without checkpoints', () => {
    const dir = tempDir();
    writeJson(join(dir, 'RUN.json'), { ...RUN, steps: 3 });
    expect(physml(['train', 'RUN.json', '--out', 'a', '--checkpoint-every', '1'], { cwd: dir }).status).toBe(0);
    writeJson(join(dir, 'OTHER.json'), { ...RUN, config: { ...RUN.config, hidden: 9 } });
    const r = physml(['train', 'OTHER.json', '--resume', 'a'], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/config\.hidden: 8 in the checkpoint, 9 now/);
    writeFileSync(join(dir, 'empty.txt'), '');
    const none = physml(['train', 'RUN.json', '--resume', '.'], { cwd: dir });
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/no complete checkpoint/);
  }, 120_000);
});
