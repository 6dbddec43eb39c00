/**
 * A BatchSource across a MessagePort: the data worker serves a BatchReader's batches
 * (serveBatches) straight to the training worker (PortBatchSource), transferring their
 * buffers; the page only hands the two ends of a MessageChannel to the workers. Flow control
 * by credit: the client asks for `depth` batches and one more per batch it takes, so at most
 * `depth` batches are in flight and the data worker reads ahead while the GPU trains.
 */
import { transferables } from '../worker/protocol';
import {
  isStreamDataErrorJSON,
  StreamDataError,
  type BatchSource,
  type StreamBatch,
  type StreamDataErrorJSON,
  type StreamPosition,
  type StreamStats,
} from './types';

/** The part of MessagePort used here (the browser's, and Node's global MessageChannel). */
export interface PortLike {
  postMessage(msg: unknown, transfer?: Transferable[]): void;
  onmessage: ((ev: MessageEvent) => void) | null;
  close(): void;
}

export type ClientMessage =
  | { type: 'credit'; n: number }
  | { type: 'skip'; entry: number }
  | { type: 'restart'; gen: number; credit: number }
  | { type: 'seek'; gen: number; credit: number; position: StreamPosition }
  | { type: 'close' };

/** `at`: the source's position before the batch (or the failed read); `after`: after it. */
export type ServerMessage<P> =
  | { type: 'batch'; gen: number; batch: StreamBatch<P>; stats: StreamStats; at: StreamPosition; after: StreamPosition }
  | { type: 'end'; gen: number; stats: StreamStats; at: StreamPosition }
  | { type: 'error'; gen: number; error: StreamDataErrorJSON | { name: 'Error'; message: string }; stats: StreamStats; at: StreamPosition };

const errorJSON = (e: unknown): StreamDataErrorJSON | { name: 'Error'; message: string } =>
  e instanceof StreamDataError ? e.toJSON() : { name: 'Error', message: e instanceof Error ? e.message : String(e) };

/** Serves `source` on `port` until the client closes it. */
export function serveBatches<P>(port: PortLike, source: BatchSource<P>): void {
  let credit = 0;
  let gen = 0;
  let blocked = false;
  let pumping = false;
  const pump = async () => {
    if (pumping) return;
    pumping = true;
    try {
      while (credit > 0 && !blocked) {
        const g = gen;
        const at = source.position();
        let b: StreamBatch<P> | null;
        try {
          b = await source.next();
        } catch (e) {
          blocked = true;
          port.postMessage({ type: 'error', gen: g, error: errorJSON(e), stats: source.stats(), at } satisfies ServerMessage<P>);
          break;
        }
        if (g !== gen) continue; // restarted while reading: this batch belongs to the old pass
        if (!b) {
          blocked = true;
          port.postMessage({ type: 'end', gen: g, stats: source.stats(), at } satisfies ServerMessage<P>);
          break;
        }
        credit--;
        const msg: ServerMessage<P> = { type: 'batch', gen: g, batch: b, stats: source.stats(), at, after: source.position() };
        port.postMessage(msg, transferables(b));
      }
    } finally {
      pumping = false;
    }
    if (credit > 0 && !blocked) void pump();
  };
  port.onmessage = (ev: MessageEvent<ClientMessage>) => {
    const m = ev.data;
    switch (m.type) {
      case 'credit':
        credit += m.n;
        break;
      case 'skip':
        source.skip(m.entry);
        blocked = false;
        break;
      case 'restart':
        source.restart();
        gen = m.gen;
        credit = m.credit;
        blocked = false;
        break;
      case 'seek':
        gen = m.gen;
        credit = m.credit;
        blocked = false;
        try {
          source.seek(m.position);
        } catch (e) {
          blocked = true;
          port.postMessage({ type: 'error', gen, error: errorJSON(e), stats: source.stats(), at: m.position } satisfies ServerMessage<P>);
        }
        break;
      case 'close':
        source.close();
        port.close();
        return;
    }
    void pump();
  };
}

const emptyStats = (): StreamStats => ({
  file: '',
  entriesRead: 0,
  bytesRead: 0,
  readMs: 0,
  elapsedMs: 0,
  epoch: 0,
  position: 0,
  epochSize: 0,
  buffered: 0,
  skippedEntries: 0,
});

/** The training worker's end: a BatchSource whose batches come from serveBatches. */
export class PortBatchSource<P> implements BatchSource<P> {
  private gen = 0;
  private queue: ServerMessage<P>[] = [];
  private waiter: (() => void) | null = null;
  private last: StreamStats = emptyStats();
  /** Position after the last batch handed out (or seeked to); null: none yet in this pass. */
  private handed: StreamPosition | null = null;
  /** The data worker's latest position of any kind: the batch size for checks and fallbacks. */
  private seen: StreamPosition | null = null;
  /** Entries skipped here whose skip the data worker has not reflected in a batch yet. */
  private skips = new Set<number>();

  /** `known`: what the page already knows of the stream (file, epoch size), shown before the first batch arrives. */
  constructor(
    private port: PortLike,
    private depth = 3,
    known: Partial<StreamStats> = {},
  ) {
    this.last = { ...emptyStats(), ...known };
    port.onmessage = (ev: MessageEvent<ServerMessage<P>>) => {
      if (ev.data.gen !== this.gen) return;
      this.queue.push(ev.data);
      this.last = ev.data.stats;
      this.seen = ev.data.at;
      const w = this.waiter;
      this.waiter = null;
      w?.();
    };
    this.send({ type: 'credit', n: depth });
  }

  private send(m: ClientMessage) {
    this.port.postMessage(m);
  }

  async next(): Promise<StreamBatch<P> | null> {
    while (!this.queue.length) await new Promise<void>((r) => (this.waiter = r));
    const m = this.queue[0];
    if (m.type === 'end') return null; // stays until restart()
    if (m.type === 'error') throw isStreamDataErrorJSON(m.error) ? StreamDataError.fromJSON(m.error) : new Error(m.error.message);
    this.queue.shift();
    this.handed = m.after;
    this.send({ type: 'credit', n: 1 });
    return m.batch;
  }

  skip(entry: number): void {
    if (this.queue[0]?.type === 'error') this.queue.shift();
    this.skips.add(entry);
    this.send({ type: 'skip', entry });
  }

  restart(): void {
    this.gen++;
    this.queue = [];
    this.handed = null;
    this.send({ type: 'restart', gen: this.gen, credit: this.depth });
  }

  /**
   * What has been handed out, not what the data worker has read ahead: batches in flight or
   * queued here do not count. Before the first batch of a pass: its start (or, once the data
   * worker has said where it stands, that).
   */
  position(): StreamPosition {
    const q = this.queue[0];
    const p: StreamPosition = this.handed ??
      (q ? q.at : null) ?? {
        epoch: 0,
        position: 0,
        epochSize: this.last.epochSize,
        batch: this.seen?.batch ?? 0,
        skipped: [],
      };
    const skipped = [...new Set([...p.skipped, ...this.skips])].sort((a, b) => a - b);
    return { ...p, skipped };
  }

  /**
   * Drops the batches in flight and has the data worker continue at `p`. Checked here against
   * what the data worker reported (so a mismatch fails the restore, not a later step) and
   * there against its order.
   */
  seek(p: StreamPosition): void {
    const size = this.seen?.epochSize ?? this.last.epochSize;
    const batch = this.seen?.batch;
    if ((size && size !== p.epochSize) || (batch !== undefined && batch !== p.batch))
      throw new Error(
        `the saved stream position is for ${p.epochSize} entries per epoch in batches of ${p.batch}; ` +
          `this stream has ${size} in batches of ${batch ?? '?'}`,
      );
    this.gen++;
    this.queue = [];
    this.handed = { ...p, skipped: [...p.skipped] };
    this.skips = new Set(p.skipped);
    this.send({ type: 'seek', gen: this.gen, credit: this.depth, position: p });
  }

  stats(): StreamStats {
    return { ...this.last, buffered: this.queue.filter((m) => m.type === 'batch').length };
  }

  close(): void {
    this.send({ type: 'close' });
    this.port.close();
  }
}
