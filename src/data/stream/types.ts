/**
 * The streaming data interface. A task's training step pulls batches from a BatchSource; the
 * source reads only the entries of the next few batches (an EntryReader over one file) and
 * hands over typed arrays that can be transferred between workers without copying.
 */
import type { BatchPlace } from './order';

/** Reads given entries of one file into one payload (CSR for sets and hits). Synchronous: it runs in the data worker or in Node. */
export interface EntryReader<P> {
  /** The file, for messages. */
  readonly file: string;
  /** Entries in the file. */
  readonly entries: number;
  /** Reads `entries` (absolute entry numbers, any order) into one payload, in that order. */
  read(entries: Uint32Array): P;
}

export interface StreamBatch<P> {
  payload: P;
  /** File entry of each item of the payload, in payload order. */
  entries: Uint32Array;
  place: BatchPlace;
  /** Entries of the planned batch that were left out because the user chose to skip them. */
  skipped: number;
}

/** Throughput and position, for the progress line and the ETA. */
export interface StreamStats {
  file: string;
  entriesRead: number;
  bytesRead: number;
  /** Time spent inside reads (ms). */
  readMs: number;
  /** Since the stream started (ms). */
  elapsedMs: number;
  epoch: number;
  position: number;
  epochSize: number;
  /** Batches read ahead and waiting. */
  buffered: number;
  /** Entries skipped so far (bad entries the user chose to skip). */
  skippedEntries: number;
}

/**
 * Where a training stream stands between batches, for checkpoints: the next batch to hand
 * out is at (epoch, position), the shuffle is rebuilt from (seed, epoch), and `skipped`
 * lists the entries the user chose to leave out. Batches read ahead but not handed out are
 * not counted. `epochSize` and `batch` are checked on seek (another split or batch size is
 * another stream). Plain JSON.
 */
export interface StreamPosition {
  epoch: number;
  position: number;
  epochSize: number;
  batch: number;
  skipped: number[];
}

/**
 * What a task pulls from. Training sources never end (epoch after epoch); evaluation sources
 * end after one pass (next() gives null) and restart() starts the pass over.
 * A batch whose read fails rejects next() with a StreamDataError; the source then stays at
 * that batch: skip(entry) leaves the entry out, and next() reads the batch again.
 */
export interface BatchSource<P> {
  next(): Promise<StreamBatch<P> | null>;
  skip(entry: number): void;
  restart(): void;
  /** The place of the next batch next() hands out (read-ahead excluded). */
  position(): StreamPosition;
  /** Continues from a saved position (resume): the next batch is the one at `p`. */
  seek(p: StreamPosition): void;
  stats(): StreamStats;
  close(): void;
}

/** A batch that could not be read: the file, the dataset and the entry at fault. */
export class StreamDataError extends Error {
  override readonly name = 'StreamDataError';
  constructor(
    readonly file: string,
    readonly dataset: string | null,
    readonly entry: number | null,
    readonly problem: string,
  ) {
    super(`${file}${dataset ? ` ${dataset}` : ''}${entry !== null ? `, entry ${entry}` : ''}: ${problem}`);
  }
  toJSON(): StreamDataErrorJSON {
    return { name: 'StreamDataError', file: this.file, dataset: this.dataset, entry: this.entry, problem: this.problem };
  }
  static fromJSON(j: StreamDataErrorJSON): StreamDataError {
    return new StreamDataError(j.file, j.dataset, j.entry, j.problem);
  }
}

export interface StreamDataErrorJSON {
  name: 'StreamDataError';
  file: string;
  dataset: string | null;
  entry: number | null;
  problem: string;
}

export function isStreamDataErrorJSON(x: unknown): x is StreamDataErrorJSON {
  return !!x && typeof x === 'object' && (x as { name?: unknown }).name === 'StreamDataError';
}
