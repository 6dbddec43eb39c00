/**
 * `physml train --resume DIR` and the checkpoint flags: finding the checkpoint, checking that
 * the RUN.json trains the same model the same way, trimming metrics.jsonl back to the
 * checkpoint's step (the writing itself is runs/checkpointWriter.ts).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CHECKPOINTS_DIR, latestCheckpoint } from '../runs/checkpointStore';
import { fsFolderStore } from '../runs/fsStore';
import { parseCheckpointMeta, type CheckpointFiles } from '../train/checkpoint';
export { CheckpointWriter } from '../runs/checkpointWriter';
import type { RunConfig } from '../train/runConfig';

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
  if (!files)
    throw new Error(
      `--resume ${dir}: no complete checkpoint in ${join(dir, CHECKPOINTS_DIR)} (train with --checkpoint-every N or --checkpoint-minutes M)`,
    );
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
        if (JSON.stringify(va) !== JSON.stringify(vb))
          out.push(`${k}.${kk}: ${JSON.stringify(vb)} in the checkpoint, ${JSON.stringify(va)} now`);
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
  const lines = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim());
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
