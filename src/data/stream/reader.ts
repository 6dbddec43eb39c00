/**
 * BatchReader: a BatchSource over one file's EntryReader and an EntryOrder. It reads only the
 * entries of the next batches, keeping `prefetch` batches read ahead; the reads ahead run on
 * timers between the caller's steps, so in Node they overlap the GPU work already submitted,
 * and in the data worker they run beside the training worker. Memory: (prefetch + 1)
 * batches of payload, whatever the file size.
 */
import { DataFileError } from '../errors';
import type { EntryOrder, BatchPlace } from './order';
import { payloadBytes } from './runs';
import { StreamDataError, type BatchSource, type EntryReader, type StreamBatch, type StreamPosition, type StreamStats } from './types';

export interface BatchReaderOptions {
  /** Batches read ahead of the one being trained on (default 3). */
  prefetch?: number;
}

interface Slot<P> {
  entries: Uint32Array;
  place: BatchPlace;
  batch?: StreamBatch<P>;
  error?: StreamDataError;
}

const now = () => performance.now();

export class BatchReader<P> implements BatchSource<P> {
  private ahead: Slot<P>[] = [];
  private skipped = new Set<number>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;
  private readonly started = now();
  private counts = { entriesRead: 0, bytesRead: 0, readMs: 0 };
  private last: BatchPlace;
  readonly prefetch: number;

  constructor(
    private reader: EntryReader<P>,
    readonly order: EntryOrder,
    opts: BatchReaderOptions = {},
  ) {
    this.prefetch = Math.max(0, Math.floor(opts.prefetch ?? 3));
    this.last = { epoch: 0, position: 0, epochSize: order.epochSize };
  }

  get file(): string {
    return this.reader.file;
  }

  async next(): Promise<StreamBatch<P> | null> {
    if (this.closed) throw new Error(`${this.reader.file}: the stream is closed`);
    this.plan();
    const head = this.ahead[0];
    if (!head) return null;
    if (!head.batch && !head.error) this.readSlot(head);
    if (head.error) throw head.error; // stays at the head: skip() then next() reads it again
    this.ahead.shift();
    this.last = head.place;
    this.scheduleAhead();
    return head.batch!;
  }

  /** Leaves `entry` out from now on; a batch read already (or failed) that holds it is read again. */
  skip(entry: number): void {
    this.skipped.add(entry);
    for (const s of this.ahead) {
      if (s.error || (s.batch && s.entries.includes(entry))) {
        s.error = undefined;
        s.batch = undefined;
      }
    }
  }

  restart(): void {
    this.order.restart();
    this.ahead = [];
    this.last = { epoch: 0, position: 0, epochSize: this.order.epochSize };
  }

  /** The head slot's place (read ahead or not, it has not been handed out), else the order's. */
  position(): StreamPosition {
    const at = this.ahead[0]?.place ?? { epoch: this.order.epoch, position: this.order.position };
    return {
      epoch: at.epoch,
      position: at.position,
      epochSize: this.order.epochSize,
      batch: this.order.opts.batch,
      skipped: [...this.skipped].sort((a, b) => a - b),
    };
  }

  /** Drops what was read ahead and continues at `p`, with its skipped entries. */
  seek(p: StreamPosition): void {
    this.order.seek(p.epoch, p.position, p);
    this.ahead = [];
    this.skipped = new Set(p.skipped);
    this.last = { epoch: p.epoch, position: p.position, epochSize: this.order.epochSize };
    this.scheduleAhead();
  }

  stats(): StreamStats {
    const head = this.ahead[0]?.place ?? this.last;
    return {
      file: this.reader.file,
      ...this.counts,
      elapsedMs: now() - this.started,
      epoch: head.epoch,
      position: head.position,
      epochSize: this.order.epochSize,
      buffered: this.ahead.filter((s) => s.batch).length,
      skippedEntries: this.skipped.size,
    };
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.ahead = [];
  }

  private plan(): void {
    while (this.ahead.length < this.prefetch + 1) {
      const b = this.order.next();
      if (!b) break;
      this.ahead.push({ entries: b.entries, place: b.place });
    }
  }

  private readSlot(s: Slot<P>): void {
    const wanted = this.skipped.size ? s.entries.filter((e) => !this.skipped.has(e)) : s.entries;
    const t0 = now();
    try {
      const payload = this.reader.read(wanted);
      const own = (payload as { entries?: unknown }).entries;
      const entries = own instanceof Uint32Array ? own : wanted;
      s.batch = { payload, entries, place: s.place, skipped: s.entries.length - wanted.length };
      this.counts.entriesRead += wanted.length;
      this.counts.bytesRead += payloadBytes(payload);
    } catch (e) {
      s.error = this.locate(e, wanted);
    } finally {
      this.counts.readMs += now() - t0;
    }
  }

  /**
   * The error of a failed batch, naming the entry: a reader that knows it says so; otherwise
   * (a corrupt chunk fails the whole read) the batch is bisected, log2(batch) reads, to find it.
   */
  private locate(e: unknown, entries: Uint32Array): StreamDataError {
    if (e instanceof StreamDataError && e.entry !== null) return e;
    const base =
      e instanceof StreamDataError
        ? e
        : e instanceof DataFileError
          ? new StreamDataError(e.file || this.reader.file, e.dataset, null, e.problem)
          : new StreamDataError(this.reader.file, null, null, e instanceof Error ? e.message : String(e));
    let lo = 0;
    let hi = entries.length;
    const fails = (a: number, b: number) => {
      try {
        this.reader.read(entries.subarray(a, b));
        return false;
      } catch {
        return true;
      }
    };
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (fails(lo, mid)) hi = mid;
      else if (fails(mid, hi)) lo = mid;
      else return base; // fails only together: no single entry to blame
    }
    return hi - lo === 1 ? new StreamDataError(base.file, base.dataset, entries[lo], base.problem) : base;
  }

  private scheduleAhead(): void {
    if (this.timer || this.closed || this.prefetch === 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.closed) return;
      this.plan();
      const s = this.ahead.find((x) => !x.batch && !x.error);
      if (!s || this.ahead.some((x) => x.error)) return;
      this.readSlot(s);
      if (!s.error) this.scheduleAhead();
    }, 0);
  }
}

/** Entries per second, MB/s and the time left in the epoch, from two stats snapshots or one. */
export function throughput(s: StreamStats): { entriesPerS: number; mbPerS: number; etaEpochS: number } {
  const sec = s.elapsedMs / 1000;
  const entriesPerS = sec > 0 ? s.entriesRead / sec : 0;
  const mbPerS = sec > 0 ? s.bytesRead / 1e6 / sec : 0;
  const left = s.epochSize - s.position;
  return { entriesPerS, mbPerS, etaEpochS: entriesPerS > 0 ? left / entriesPerS : Infinity };
}
