import type { FileSummary } from '../detect';
import type { DataFileErrorJSON } from '../errors';
import type { TreeNode } from '../h5/types';
import type { ClusterEntries, ImageEntries, ParticleEntries, SparseEntries } from '../larcv3/reader';
import type { Preview } from '../preview';
import type { SpanetEvents } from '../spanet/reader';
import type { JaggedHits, JaggedSets, JaggedSetsLayout } from '../generic/sets';
import type { Role, StreamSettings } from '../stream/plan';
import type { FileRequest } from '../../tasks/fromFile/options';
import type { ReadCheckResult } from '../stream/check';
import type { SpanetStreamSetup } from '../stream/spanetPlan';

/** Typed messages between the page (DataWorkerClient) and fileWorker. */
export type WorkerRequest =
  | { id: number; op: 'open'; fileId: string; file: File }
  | { id: number; op: 'openBytes'; fileId: string; name: string; bytes: ArrayBuffer }
  | { id: number; op: 'preview'; fileId: string; path: string; rows: number }
  | { id: number; op: 'readEntries'; fileId: string; product: string; producer: string; start: number; end: number }
  | { id: number; op: 'readSpanet'; fileId: string; start: number; end: number }
  | { id: number; op: 'readSets'; fileId: string; layout: JaggedSetsLayout; target: string }
  | { id: number; op: 'readHits'; fileId: string; layout: JaggedSetsLayout; idColumn: string }
  | { id: number; op: 'stream'; request: StreamRequest }
  /** Reads every entry through the stream's readers (src/data/stream/check.ts), with progress. */
  | { id: number; op: 'check'; fileId: string }
  | { id: number; op: 'close'; fileId: string };

/**
 * Serve a training option's batches on MessagePorts (src/data/stream): the training file and
 * optional validation / test files (each must offer the same option), one port per role.
 */
export interface StreamRequest {
  files: Partial<Record<Role, string>> & { train: string };
  option: FileRequest;
  settings: StreamSettings;
  ports: Partial<Record<Role, MessagePort>> & { train: MessagePort };
  /** SPANet events: the task config (options file, event file) for the statistics pass and ranges (spanetPlan.ts) */
  spanet?: { config: Record<string, unknown> };
}

export interface StreamOpened {
  /** entries per epoch / per pass of each role */
  epochSizes: Partial<Record<Role, number>>;
  /** classification targets: the sorted class values of the training file */
  classes?: number[];
  /** SPANet events: the event description and statistics of the training range (sent on to the training worker) */
  spanet?: SpanetStreamSetup;
}

export interface OpenResult {
  fileId: string;
  name: string;
  size: number;
  /** true when the File was mounted (WORKERFS) rather than copied into memory */
  mounted: boolean;
  tree: TreeNode;
  summary: FileSummary;
}

export type EntriesResult = SparseEntries | ClusterEntries | ImageEntries | ParticleEntries;

export interface ResultMap {
  open: OpenResult;
  openBytes: OpenResult;
  preview: Preview;
  readEntries: EntriesResult;
  readSpanet: SpanetEvents;
  readSets: JaggedSets;
  readHits: JaggedHits;
  stream: StreamOpened;
  check: ReadCheckResult;
  close: true;
}

export type WorkerError = DataFileErrorJSON | { name: 'Error'; message: string };

export type WorkerResponse =
  | { id: number; type: 'progress'; fraction: number; stage: string }
  | { id: number; type: 'result'; result: unknown }
  | { id: number; type: 'error'; error: WorkerError };

/** ArrayBuffers inside a result, to transfer rather than copy. */
export function transferables(x: unknown, out: Set<ArrayBuffer> = new Set(), depth = 0): ArrayBuffer[] {
  if (depth > 8 || x === null || typeof x !== 'object') return [...out];
  if (ArrayBuffer.isView(x)) {
    if (x.buffer instanceof ArrayBuffer && x.byteOffset === 0 && x.byteLength === x.buffer.byteLength) out.add(x.buffer);
    return [...out];
  }
  for (const v of Array.isArray(x) ? x : Object.values(x)) transferables(v, out, depth + 1);
  return [...out];
}
