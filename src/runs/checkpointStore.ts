/**
 * Checkpoints in a run folder, on any storage that has folders and files (the file system in
 * Node, origin-private storage in the browser):
 *
 *   <run>/checkpoints/step-000000120/{model.safetensors, optimizer.safetensors, checkpoint.json}
 *
 * checkpoint.json is written last, so a folder without it (a write cut short by a full disk
 * or a crash) is not a checkpoint and is never loaded. Old checkpoints are deleted only after
 * the new one is complete, and the newest complete one is never deleted.
 */
import {
  CHECKPOINT_FILES, checkpointName, formatCheckpointMeta, parseCheckpointMeta,
  type CheckpointFiles, type CheckpointMeta,
} from '../train/checkpoint';

/** Folders and files under a root, by '/'-separated relative paths. */
export interface FolderStore {
  /** Names of the sub-folders of a folder ([] when it does not exist). */
  listDirs(path: string): Promise<string[]>;
  /** The file's bytes, or null when it does not exist. */
  readFile(path: string): Promise<Uint8Array | null>;
  /** Creates parent folders as needed; replaces an existing file. */
  writeFile(path: string, bytes: Uint8Array): Promise<void>;
  /** Removes a folder and everything in it (no error when missing). */
  removeDir(path: string): Promise<void>;
}

export interface CheckpointPolicy {
  /** Checkpoint every N optimiser steps (0 = off). */
  everySteps: number;
  /** …and/or every M minutes of wall time (0 = off). */
  everyMinutes: number;
  /** Keep the last K checkpoints (at least 1). */
  keep: number;
  /** Also keep the best checkpoint by this test metric (e.g. "loss"), if given. */
  bestMetric?: string;
  /** Default: 'max' for accuracy-like names (accuracy, iou, efficiency, purity, match), else 'min'. */
  bestMode?: 'min' | 'max';
}

export const DEFAULT_POLICY: CheckpointPolicy = { everySteps: 0, everyMinutes: 0, keep: 3 };

export const CHECKPOINTS_DIR = 'checkpoints';

export class CheckpointWriteError extends Error {
  constructor(readonly checkpoint: string, readonly cause: unknown, readonly quota: boolean) {
    super(
      quota
        ? `checkpoint ${checkpoint} not saved: the storage is full (quota exceeded). The previous checkpoints are kept; ` +
          'free space by deleting old runs in the Runs panel (or on disk), or lower "keep".'
        : `checkpoint ${checkpoint} not saved: ${cause instanceof Error ? cause.message : String(cause)}. The previous checkpoints are kept.`,
    );
    this.name = 'CheckpointWriteError';
  }
}

const isQuotaError = (err: unknown) =>
  err instanceof Error && (err.name === 'QuotaExceededError' || /quota|ENOSPC|no space/i.test(`${err.name} ${err.message} ${(err as { code?: string }).code ?? ''}`));

export function bestModeFor(metric: string): 'min' | 'max' {
  return /accuracy|iou|efficiency|purity|match|auc/i.test(metric) ? 'max' : 'min';
}

/** When a checkpoint is due: every N steps and/or every M minutes since the last one. */
export class CheckpointClock {
  private lastStep: number;
  private lastMs: number;

  constructor(readonly policy: CheckpointPolicy, startStep = 0, now = Date.now()) {
    this.lastStep = startStep;
    this.lastMs = now;
  }

  get enabled(): boolean {
    return this.policy.everySteps > 0 || this.policy.everyMinutes > 0;
  }

  /** Steps to run before the next step-based checkpoint (Infinity when only time-based / off). */
  stepsUntilDue(step: number): number {
    return this.policy.everySteps > 0 ? Math.max(1, this.lastStep + this.policy.everySteps - step) : Infinity;
  }

  due(step: number, now = Date.now()): boolean {
    if (step === this.lastStep) return false;
    const p = this.policy;
    return (p.everySteps > 0 && step - this.lastStep >= p.everySteps) || (p.everyMinutes > 0 && now - this.lastMs >= p.everyMinutes * 60_000);
  }

  mark(step: number, now = Date.now()): void {
    this.lastStep = step;
    this.lastMs = now;
  }
}

/** Which checkpoints to delete: all but the last `keep` by step and the best by the metric. */
export function prunePlan(metas: CheckpointMeta[], policy: CheckpointPolicy): string[] {
  const sorted = [...metas].sort((a, b) => a.step - b.step);
  const keep = new Set(sorted.slice(-Math.max(1, policy.keep)).map((m) => m.step));
  if (policy.bestMetric) {
    const mode = policy.bestMode ?? bestModeFor(policy.bestMetric);
    let best: CheckpointMeta | null = null;
    for (const m of sorted) {
      const v = m.metrics?.test?.[policy.bestMetric];
      if (typeof v !== 'number' || !Number.isFinite(v)) continue;
      const b = best?.metrics.test[policy.bestMetric];
      if (best === null || (mode === 'min' ? v < (b as number) : v > (b as number))) best = m;
    }
    if (best) keep.add(best.step);
  }
  return sorted.filter((m) => !keep.has(m.step)).map((m) => checkpointName(m.step));
}

/** Complete checkpoints of a run folder, oldest first. */
export async function listCheckpoints(store: FolderStore): Promise<CheckpointMeta[]> {
  const out: CheckpointMeta[] = [];
  for (const name of await store.listDirs(CHECKPOINTS_DIR)) {
    const bytes = await store.readFile(`${CHECKPOINTS_DIR}/${name}/checkpoint.json`);
    if (!bytes) continue;
    try {
      out.push(parseCheckpointMeta(new TextDecoder().decode(bytes), `${name}/checkpoint.json`));
    } catch {
      // A foreign or damaged folder is not a checkpoint; it is left alone.
    }
  }
  return out.sort((a, b) => a.step - b.step);
}

export async function loadCheckpoint(store: FolderStore, step: number): Promise<CheckpointFiles> {
  const dir = `${CHECKPOINTS_DIR}/${checkpointName(step)}`;
  const read = async (f: string) => {
    const b = await store.readFile(`${dir}/${f}`);
    if (!b) throw new Error(`${dir}/${f} is missing`);
    return b;
  };
  const meta = parseCheckpointMeta(new TextDecoder().decode(await read('checkpoint.json')), `${dir}/checkpoint.json`);
  return { meta, model: await read('model.safetensors'), optimizer: await read('optimizer.safetensors') };
}

export async function latestCheckpoint(store: FolderStore): Promise<CheckpointFiles | null> {
  const list = await listCheckpoints(store);
  return list.length ? loadCheckpoint(store, list[list.length - 1].step) : null;
}

/**
 * Writes a checkpoint (checkpoint.json last), then deletes what the policy no longer keeps.
 * A failed write removes the partial folder and throws CheckpointWriteError; nothing older
 * is touched.
 */
export async function saveCheckpoint(store: FolderStore, files: CheckpointFiles, policy: CheckpointPolicy): Promise<{ name: string; removed: string[] }> {
  const name = checkpointName(files.meta.step);
  const dir = `${CHECKPOINTS_DIR}/${name}`;
  const bytes: Record<(typeof CHECKPOINT_FILES)[number], Uint8Array> = {
    'model.safetensors': files.model,
    'optimizer.safetensors': files.optimizer,
    'checkpoint.json': new TextEncoder().encode(formatCheckpointMeta(files.meta)),
  };
  // The state at a step is the same whenever it is saved: a complete checkpoint is never rewritten (or put at risk).
  if (await store.readFile(`${dir}/checkpoint.json`)) return { name, removed: [] };
  try {
    await store.removeDir(dir); // the remains of an interrupted write
    for (const f of CHECKPOINT_FILES) await store.writeFile(`${dir}/${f}`, bytes[f]);
  } catch (err) {
    await store.removeDir(dir).catch(() => undefined);
    throw new CheckpointWriteError(name, err, isQuotaError(err));
  }
  const removed = prunePlan(await listCheckpoints(store), policy).filter((n) => n !== name);
  for (const n of removed) await store.removeDir(`${CHECKPOINTS_DIR}/${n}`);
  return { name, removed };
}
