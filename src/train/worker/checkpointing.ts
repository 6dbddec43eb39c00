/**
 * The training worker's checkpoints: into the origin-private run folder of the run the page
 * tracks, every N steps / M minutes (checked after each chunk of steps) and on pause. Only
 * the GPU copies are recorded in the loop; readback and writes run in the background.
 */
import { CheckpointWriter } from '../../runs/checkpointWriter';
import { latestCheckpoint, type CheckpointPolicy } from '../../runs/checkpointStore';
import { runFolder } from '../../runs/opfs';
import { applyCheckpoint } from '../checkpoint';
import type { FromWorker } from '../protocol';
import type { RunConfig } from '../runConfig';
import type { Trainer } from '../trainer';

export class WorkerCheckpoints {
  private writer: CheckpointWriter | null = null;
  private runId = '';

  constructor(private post: (m: FromWorker) => void) {}

  /** A new model: nothing is tracked until the page says which run it is. */
  detach(): void {
    this.writer = null;
    this.runId = '';
  }

  track(trainer: Trainer, runId: string, run: RunConfig, policy: CheckpointPolicy): void {
    this.runId = runId;
    this.writer = new CheckpointWriter(runFolder(runId), policy, run, trainer.step, () => undefined);
    this.writer.onSaved = (step, error) => this.post({ type: 'checkpointed', runId, step, error: error?.message ?? null });
  }

  /** Restores the run's newest checkpoint into a fresh Trainer; returns its step. */
  async restore(trainer: Trainer, runId: string, run: RunConfig, policy: CheckpointPolicy): Promise<number> {
    const files = await latestCheckpoint(runFolder(runId));
    if (!files) throw new Error(`run ${runId} has no checkpoint to resume from`);
    applyCheckpoint(trainer, files, `run ${runId}`);
    this.track(trainer, runId, run, policy);
    Object.assign(this.writer!.summary, structuredClone(files.meta.metrics));
    return files.meta.step;
  }

  noteTrain(values: Record<string, number>): void {
    this.writer?.noteTrain(values);
  }

  noteTest(values: Record<string, number>): void {
    this.writer?.noteTest(values);
  }

  /** After a chunk of steps: a checkpoint if one is due. */
  maybe(trainer: Trainer): void {
    if (this.writer?.clock.due(trainer.step)) this.now(trainer);
  }

  now(trainer: Trainer): void {
    if (!this.writer || trainer.step === 0) return;
    try {
      this.writer.checkpoint(trainer);
    } catch (err) {
      this.post({ type: 'checkpointed', runId: this.runId, step: trainer.step, error: (err as Error).message });
    }
  }
}
