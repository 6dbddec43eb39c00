/**
 * What every streamed task run does with its training stream, in one place: hand out the
 * batch read at create (for the model's shapes or scaling) before pulling more, leave a bad
 * entry out (skipEntry), report progress (streamStats), and save / restore the position for
 * checkpoints (streamState / restoreStream). Runs extend it and call pull() per step.
 */
import type { BatchSource, StreamPosition, StreamStats } from '../data/stream/types';

export class TrainingStream<P> {
  /** the batch read at create, handed out by the first pull() */
  protected first: P | null;

  constructor(
    protected readonly trainSource: BatchSource<P>,
    first: P | null = null,
  ) {
    this.first = first;
  }

  /** The next training payload (the one read at create first); the stream never ends, so an end is an error. */
  protected async pull(): Promise<P> {
    const held = this.first;
    this.first = null;
    if (held) return held;
    const b = await this.trainSource.next();
    if (!b) throw new Error('the training stream ended');
    return b.payload;
  }

  skipEntry(entry: number): void {
    this.trainSource.skip(entry);
  }

  streamStats(): StreamStats {
    return this.trainSource.stats();
  }

  /** null while the batch read at create waits for step 0: a resume reads it again. */
  streamState(): StreamPosition | null {
    return this.first ? null : this.trainSource.position();
  }

  /** Training continues where the saved run stood (what was computed from the first batch is computed again the same way). */
  restoreStream(p: StreamPosition): void {
    this.first = null;
    this.trainSource.seek(p);
  }
}
