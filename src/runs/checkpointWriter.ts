/**
 * Writes checkpoints into a run folder one after another, in the background: the step loop
 * only records the GPU copies (beginCheckpoint) and goes on; the readback and the writes
 * happen while later steps run. Keeps the train/test summary that goes into checkpoint.json.
 */
import { beginCheckpoint } from '../train/checkpoint';
import type { RunConfig } from '../train/runConfig';
import type { Trainer } from '../train/trainer';
import { bestModeFor, CheckpointClock, saveCheckpoint, type CheckpointPolicy, type FolderStore } from './checkpointStore';

export type Summary = { train: Record<string, number>; test: Record<string, number>; best: Record<string, number> };

export class CheckpointWriter {
  readonly clock: CheckpointClock;
  private chain: Promise<void> = Promise.resolve();
  private failure: Error | null = null;
  private lastStep = -1;
  /** Called after each write (error null) or failed write. */
  onSaved?: (step: number, error: Error | null) => void;
  readonly summary: Summary = { train: {}, test: {}, best: {} };

  constructor(readonly store: FolderStore, readonly policy: CheckpointPolicy, private rc: RunConfig, startStep: number, private log: (l: string) => void) {
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
      const max = bestModeFor(k) === 'max';
      const b = this.summary.best[k];
      if (b === undefined || (max ? v > b : v < b)) this.summary.best[k] = v;
    }
  }

  /** Records the copies now; the files are written when the readback lands. */
  checkpoint(trainer: Trainer): void {
    if (trainer.step === this.lastStep) return;
    const step = trainer.step;
    this.lastStep = step;
    this.clock.mark(step);
    const pending = beginCheckpoint(trainer, { task: this.rc.task, run: this.rc, metrics: structuredClone(this.summary) });
    const store = this.store;
    this.chain = this.chain.then(async () => {
      try {
        const r = await saveCheckpoint(store, await pending, this.policy);
        this.log(`checkpoint ${r.name}${r.removed.length ? ` (removed ${r.removed.join(', ')})` : ''}`);
        this.failure = null;
        this.onSaved?.(step, null);
      } catch (err) {
        this.failure = err as Error;
        this.log(`warning: ${(err as Error).message}`);
        this.onSaved?.(step, err as Error);
      }
    });
  }

  /** Waits for every write; returns the last failure, if any. */
  async settle(): Promise<Error | null> {
    await this.chain;
    return this.failure;
  }
}
