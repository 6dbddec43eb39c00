import { DataFileError, isDataFileErrorJSON } from '../errors';
import type { EntriesResult, OpenResult, ResultMap, StreamOpened, StreamRequest, WorkerRequest, WorkerResponse } from './protocol';
import type { Preview } from '../preview';
import type { SpanetEvents } from '../spanet/reader';
import type { JaggedHits, JaggedSets, JaggedSetsLayout } from '../generic/sets';

export type Progress = (fraction: number, stage: string) => void;

type Pending = { resolve: (v: unknown) => void; reject: (e: unknown) => void; progress?: Progress };

/** Minimal Worker shape (lets tests pass a fake). */
export interface WorkerLike {
  postMessage(msg: unknown, transfer?: Transferable[]): void;
  onmessage: ((ev: MessageEvent) => void) | null;
  onerror: ((ev: ErrorEvent) => void) | null;
  terminate(): void;
}

export function createFileWorker(): WorkerLike {
  return new Worker(new URL('./fileWorker.ts', import.meta.url), { type: 'module' }) as unknown as WorkerLike;
}

/** Promise-based calls to the data worker. */
export class DataWorkerClient {
  private worker: WorkerLike | null = null;
  private nextId = 1;
  private nextFile = 1;
  private pending = new Map<number, Pending>();

  constructor(private readonly factory: () => WorkerLike = createFileWorker) {}

  private get w(): WorkerLike {
    if (!this.worker) {
      const w = this.factory();
      w.onmessage = (ev: MessageEvent<WorkerResponse>) => this.onMessage(ev.data);
      w.onerror = (ev: ErrorEvent) => {
        const err = new Error(`data worker failed: ${ev.message || 'unknown error'}`);
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
        ev.preventDefault?.();
      };
      this.worker = w;
    }
    return this.worker;
  }

  private onMessage(msg: WorkerResponse) {
    const p = this.pending.get(msg.id);
    if (!p) return;
    if (msg.type === 'progress') p.progress?.(msg.fraction, msg.stage);
    else {
      this.pending.delete(msg.id);
      if (msg.type === 'result') p.resolve(msg.result);
      else p.reject(isDataFileErrorJSON(msg.error) ? DataFileError.fromJSON(msg.error) : new Error(msg.error.message));
    }
  }

  private call<K extends keyof ResultMap>(
    req: Omit<Extract<WorkerRequest, { op: K }>, 'id'>,
    progress?: Progress,
    transfer: Transferable[] = [],
  ): Promise<ResultMap[K]> {
    const id = this.nextId++;
    return new Promise<ResultMap[K]>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, ...(progress ? { progress } : {}) });
      this.w.postMessage({ ...req, id }, transfer);
    });
  }

  newFileId(): string {
    return `f${this.nextFile++}`;
  }

  open(file: File, progress?: Progress, fileId = this.newFileId()): Promise<OpenResult> {
    return this.call<'open'>({ op: 'open', fileId, file }, progress);
  }
  openBytes(name: string, bytes: ArrayBuffer, progress?: Progress, fileId = this.newFileId()): Promise<OpenResult> {
    return this.call<'openBytes'>({ op: 'openBytes', fileId, name, bytes }, progress, [bytes]);
  }
  preview(fileId: string, path: string, rows = 20): Promise<Preview> {
    return this.call<'preview'>({ op: 'preview', fileId, path, rows });
  }
  readEntries(fileId: string, product: string, producer: string, range: { start: number; end: number }): Promise<EntriesResult> {
    return this.call<'readEntries'>({ op: 'readEntries', fileId, product, producer, start: range.start, end: range.end });
  }
  readSpanet(fileId: string, range: { start: number; end: number }): Promise<SpanetEvents> {
    return this.call<'readSpanet'>({ op: 'readSpanet', fileId, start: range.start, end: range.end });
  }
  readSets(fileId: string, layout: JaggedSetsLayout, target: string): Promise<JaggedSets> {
    return this.call<'readSets'>({ op: 'readSets', fileId, layout, target });
  }
  readHits(fileId: string, layout: JaggedSetsLayout, idColumn: string): Promise<JaggedHits> {
    return this.call<'readHits'>({ op: 'readHits', fileId, layout, idColumn });
  }
  /** Starts serving a stream on the request's ports (transferred to the data worker); progress: SPANet's statistics pass. */
  stream(request: StreamRequest, progress?: Progress): Promise<StreamOpened> {
    const ports = Object.values(request.ports).filter((p): p is MessagePort => !!p);
    return this.call<'stream'>({ op: 'stream', request }, progress, ports);
  }
  /** Reads every entry through the stream's readers: ok, or the first bad entry. */
  check(fileId: string, progress?: Progress) {
    return this.call<'check'>({ op: 'check', fileId }, progress);
  }
  close(fileId: string): Promise<true> {
    return this.call<'close'>({ op: 'close', fileId });
  }
  terminate(): void {
    this.worker?.terminate();
    this.worker = null;
    for (const p of this.pending.values()) p.reject(new Error('data worker terminated'));
    this.pending.clear();
  }
}
