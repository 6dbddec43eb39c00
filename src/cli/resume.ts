/**
 * `physml train --resume DIR` and the checkpoint flags: finding the checkpoint, checking that
 * the RUN.json trains the same model the same way, trimming metrics.jsonl back to the
 * checkpoint's step, and writing checkpoints in the background while training goes on.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CHECKPOINTS_DIR, CheckpointClock, latestCheckpoint, saveCheckpoint, type CheckpointPolicy } from '../runs/checkpointStore';
import { fsFolderStore } from '../runs/fsStore';
import { beginCheckpoint, parseCheckpointMeta, type CheckpointFiles } from '../train/checkpoint';
import type { RunConfig } from '../train/runConfig';
import type { Trainer } from '../train/trainer';

export interface ResumePoint {
  /** The run folder the checkpoint belongs to (its metrics.jsonl continues). */
  runDir: string;
  files: CheckpointFiles;
}

/** DIR is a run folder (its newest complete checkpoint) or one checkpoint folder. */
export async function findResumePoint(dir: string): Promise<ResumePoint> {
  if (!existsSync(dir)) throw new Error(`--resume ${dir}: no such folder`);
  const own = join(dir, 'checkpoint.json');
  if (existsSync(own)) {
    const meta = parseCheckpointMeta(readFileSync(own, 'utf8'), own);
    const read = (f: string) => new Uint8Array(readFileSync(join(dir, f)));
    const runDir = basename(dirname(dir)) === CHECKPOINTS_DIR ? dirname(dirname(dir)) : dir;
    return { runDir, files: { meta, model: read('model.safetensors'), optimizer: read('optimizer.safetensors') } };
  }
  const files = await latestCheckpoint(fsFolderStore(dir));
  if (!files) throw new Error(`--resume ${dir}: no complete checkpoint in ${join(dir, CHECKPOINTS_DIR)} (train with --checkpoint-every N or --checkpoint-minutes M)`);
  return { runDir: dir, files };
}

const TRAINING_KEYS = ['task', 'config', 'optimizer', 'data', 'seed', 'accumulate'] as const;

/** Keys that change what the resumed steps compute; steps, eval_every, read_every and name may differ. */
export function resumeMismatch(rc: RunConfig, saved: RunConfig | null): string[] {
  if (!saved) return [];
  const out: string[] = [];
  for (const k of TRAINING_KEYS) {
    const a = rc[k] as unknown;
    const b = saved[k] as unknown;
    if (a !== null && typeof a === 'object') {
      const keys = new Set([...Object.keys(a as object), ...Object.keys((b ?? {}) as object)]);
      for (const kk of keys) {
        const va = (a as Record<string, unknown>)[kk];
        const vb = ((b ?? {}) as Record<string, unknown>)[kk];
        if (JSON.stringify(va) !== JSON.stringify(vb)) out.push(`${k}.${kk}: ${JSON.stringify(vb)} in the checkpoint, ${JSON.stringify(va)} now`);
      }
    } else if (a !== b) {
      out.push(`${k}: ${JSON.stringify(b)} in the checkpoint, ${JSON.stringify(a)} now`);
    }
  }
  return out;
}

/** Drops metrics.jsonl rows after the checkpoint (written after it by a run that then died). */
export function trimMetrics(path: string, step: number): number {
  if (!existsSync(path)) {
    writeFileSync(path, '');
    return 0;
  }
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.trim());
  const kept = lines.filter((l) => {
    try {
      return (JSON.parse(l) as { step: number }).step <= step;
    } catch {
      return false;
    }
  });
  writeFileSync(path, kept.map((l) => `${l}\n`).join(''));
  return lines.length - kept.length;
}

type Summary = { train: Record<string, number>; test: Record<string, number>; best: Record<string, number> };

/**
 * Writes checkpoints into DIR/checkpoints one after another, in the background: the step
 * loop only records the GPU copies (beginCheckpoint) and goes on.
 */
export class CheckpointWriter {
  readonly clock: CheckpointClock;
  private chain: Promise<void> = Promise.resolve();
  private failure: Error | null = null;
  private lastStep = -1;
  readonly summary: Summary = { train: {}, test: {}, best: {} };

  constructor(readonly dir: string, readonly policy: CheckpointPolicy, private rc: RunConfig, startStep: number, private log: (l: string) => void) {
    this.clock = new CheckpointClock(policy, startStep);
    // A resumed run already has a checkpoint at its start step.
    if (startStep > 0) this.lastStep = startStep;
  }

  noteTrain(values: Record<string, number>): void {
    Object.assign(this.summary.train, values);
  }

  noteTest(values: Record<string, number>): void {
    Object.assign(this.summary.test, values);
    for (const [k, v] of Object.entries(values)) {
      if (!Number.isFinite(v)) continue;
      const max = /accuracy|iou|efficiency|purity|match|auc/i.test(k);
      const b = this.summary.best[k];
      if (b === undefined || (max ? v > b : v < b)) this.summary.best[k] = v;
    }
  }

  /** Records the copies now; the files are written when the readback lands. */
  checkpoint(trainer: Trainer): void {
    if (trainer.step === this.lastStep) return;
    this.lastStep = trainer.step;
    this.clock.mark(trainer.step);
    const pending = beginCheckpoint(trainer, { task: this.rc.task, run: this.rc, metrics: structuredClone(this.summary) });
    const store = fsFolderStore(this.dir);
    this.chain = this.chain.then(async () => {
      try {
        const r = await saveCheckpoint(store, await pending, this.policy);
        this.log(`checkpoint ${r.name}${r.removed.length ? ` (removed ${r.removed.join(', ')})` : ''}`);
      } catch (err) {
        this.failure = err as Error;
        this.log(`warning: ${(err as Error).message}`);
      }
    });
  }

  /** Waits for every write; returns the last failure, if any. */
  async settle(): Promise<Error | null> {
    await this.chain;
    return this.failure;
  }
}
