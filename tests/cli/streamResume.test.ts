/**
 * `physml train --resume` of a streamed Deep Sets run (separate processes): the checkpoint holds
 * the training stream's position (epoch, position in the seeded shuffle, skipped entries), so
 * 14 steps uninterrupted and 5 steps + resume to 14 give bitwise the same metrics.jsonl —
 * across the epoch boundary at step 8 (285 training sets in batches of 40). Without the stream
 * position (an old checkpoint) the resumed losses differ: the test can tell.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { physml, readJsonLines, ROOT, tempDir, writeJson } from './physml';

const RUN = {
  task: 'deepsets',
  name: 'sr',
  seed: 3,
  config: { phiWidth: 8, phiDepth: 1, rhoWidth: 8, rhoDepth: 1, pool: 'mean' },
  // decay_steps fixed: with 0 the schedule would decay over --steps, which the partial run changes
  optimizer: { lr: 0.01, schedule: 'warmup_cosine', warmup_steps: 2, decay_steps: 14 },
  // 300 sets, split 0.95: 285 train in batches of 40 (7 full + one of 5 per epoch), 15 validate
  data: {
    train: join(ROOT, 'public/demo/sets_demo.h5'),
    option: 'generic-sets:/sets/counts:/target',
    stream: true,
    batch: 40,
    prefetch: 3,
  },
  steps: 14,
  eval_every: 4,
  read_every: 1,
};
const noWall = (rows: Record<string, unknown>[]) => rows.map(({ wall_ms: _w, input_fraction: _f, data_wait_ms: _d, ...r }) => r);

describe('physml train --resume, streamed data', () => {
  // Each physml process starts Dawn and compiles its pipelines (seconds on SwiftShader), so both
  // tests resume the one partial run: 5 of the 14 steps, a checkpoint at step 5 (and a copy of it).
  let dir = '';
  beforeAll(() => {
    dir = tempDir();
    writeJson(join(dir, 'RUN.json'), RUN);
    const part = physml(['train', 'RUN.json', '--out', 'part', '--steps', '5', '--checkpoint-every', '5'], { cwd: dir });
    expect(part.status, part.stderr).toBe(0);
    cpSync(join(dir, 'part'), join(dir, 'other-batch'), { recursive: true });
  }, 120_000);

  it('continues the stream where the checkpoint left it: the same losses as an uninterrupted run', () => {
    const whole = physml(['train', 'RUN.json', '--out', 'whole'], { cwd: dir });
    expect(whole.status, whole.stderr).toBe(0);
    const ckpt = join(dir, 'part/checkpoints/step-000000005/checkpoint.json');
    const meta = JSON.parse(readFileSync(ckpt, 'utf8'));
    // five batches handed out; the three read ahead are not counted
    expect(meta.stream).toEqual({ train: { epoch: 0, position: 200, epochSize: 285, batch: 40, skipped: [] } });
    writeFileSync(join(dir, 'part.jsonl'), readFileSync(join(dir, 'part/metrics.jsonl')));

    const res = physml(['train', 'RUN.json', '--resume', 'part'], { cwd: dir });
    expect(res.status, res.stderr).toBe(0);
    expect(res.stderr).toMatch(/resumed at step 5/);
    const a = readJsonLines(join(dir, 'whole/metrics.jsonl'));
    // the partial run's closing evaluation at step 5 is its own row
    const b = readJsonLines(join(dir, 'part/metrics.jsonl')).filter((r) => !(r.split === 'test' && r.step === 5));
    expect(a.filter((r) => r.split === 'train')).toHaveLength(14);
    expect(noWall(b)).toEqual(noWall(a));
    expect(readFileSync(join(dir, 'part/weights.safetensors')).equals(readFileSync(join(dir, 'whole/weights.safetensors')))).toBe(true);
    const end = JSON.parse(readFileSync(join(dir, 'part/checkpoints/step-000000014/checkpoint.json'), 'utf8'));
    // 14 batches: 8 in epoch 0 (7 × 40 + 5), 6 × 40 into epoch 1
    expect(end.stream.train).toMatchObject({ epoch: 1, position: 240 });

    // The same checkpoint without its stream position resumes from the stream's start: other losses.
    delete meta.stream;
    writeFileSync(ckpt, JSON.stringify(meta));
    writeFileSync(join(dir, 'part/metrics.jsonl'), readFileSync(join(dir, 'part.jsonl')));
    const old = physml(['train', 'RUN.json', '--resume', 'part/checkpoints/step-000000005', '--out', 'part'], { cwd: dir });
    expect(old.status, old.stderr).toBe(0);
    const c = readJsonLines(join(dir, 'part/metrics.jsonl')).filter((r) => r.split === 'train' && (r.step as number) > 5);
    const w = a.filter((r) => r.split === 'train' && (r.step as number) > 5);
    expect(c.map((r) => r.loss)).not.toEqual(w.map((r) => r.loss));
  }, 240_000);

  it('refuses to resume on a stream of another batch size, naming both', () => {
    // data.batch is a data key, which the RUN.json check already names; the stream check backs it
    // up for a checkpoint whose run.json was edited (the app's RUN.json does not hold the batch)
    const ck = join(dir, 'other-batch/checkpoints/step-000000005/checkpoint.json');
    const meta = JSON.parse(readFileSync(ck, 'utf8'));
    meta.stream.train.batch = 32;
    writeFileSync(ck, JSON.stringify(meta));
    const r = physml(['train', 'RUN.json', '--resume', 'other-batch'], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /cannot continue the training stream: the saved stream position is for 285 entries per epoch in batches of 32; this stream has 285 in batches of 40/,
    );
  }, 120_000);
});
