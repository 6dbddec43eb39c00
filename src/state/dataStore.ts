import { create } from 'zustand';
import type { FileSummary } from '../data/detect';
import { DataFileError } from '../data/errors';
import type { TreeNode } from '../data/h5/types';
import type { Preview } from '../data/preview';
import { DataWorkerClient } from '../data/worker/client';
import type { ReadCheckResult } from '../data/stream/check';
import type { Role } from '../data/stream/plan';
import type { PortStreamData } from '../data/stream/portData';
import type { FileRequest } from '../tasks/fromFile/options';
import { transferables } from '../data/worker/protocol';

export type { Role };

/** The background full read of a file (every entry through the stream's readers). */
export interface ReadCheck {
  status: 'running' | 'ok' | 'failed';
  progress: number;
  /** "read check failed: file dataset, entry 12: …", or what was read */
  message: string;
}

/** How streamed training reads the files by role (the Data panel's "roles" box). */
export interface StreamPrefs {
  /** With no validation file: the training file's first fraction trains, the rest validates. */
  split: number;
  /** Validation entries per evaluation (0 = all). */
  evalEntries: number;
  /** Entries per training batch. */
  batch: number;
}

/**
 * What "Train on this file" attaches for a streamed option: no data, only what to stream.
 * At Create the page opens fresh streams (openStreamPorts) for the files holding each role.
 */
export interface StreamPlan {
  kind: 'stream-plan';
  payload: 'sets' | 'hits' | 'planes' | 'spanet';
  option: FileRequest;
  /** The file "Train on this file" was chosen on (it got the train role). */
  fileId: string;
  targetKind?: 'regression' | 'classification';
  label: string;
}

export function isStreamPlan(x: unknown): x is StreamPlan {
  return !!x && typeof x === 'object' && (x as { kind?: unknown }).kind === 'stream-plan';
}

/** What the streams of one Create read: file names by role and entries per epoch / pass. */
export interface StreamInfo {
  train: string;
  /** a file name, or "last 5% of <train>" */
  validation: string;
  test?: string;
  epochSizes: Partial<Record<Role, number>>;
}

/** Files up to this size are read-checked in the background when loaded; larger ones on request. */
export const AUTO_CHECK_BYTES = 64 << 20;

export interface LoadedFileError {
  code: string;
  message: string;
  dataset: string | null;
  expected: string | null;
}

export interface LoadedFile {
  id: string;
  name: string;
  size: number;
  status: 'loading' | 'ready' | 'error';
  progress: number;
  stage: string;
  mounted?: boolean;
  tree?: TreeNode;
  summary?: FileSummary;
  error?: LoadedFileError;
  /** Streamed training: what this file is for. */
  role?: Role;
  check?: ReadCheck;
}

export interface PreviewState {
  fileId: string;
  path: string;
  loading: boolean;
  data?: Preview;
  error?: LoadedFileError;
}

export interface DataState {
  files: LoadedFile[];
  activeId: string | null;
  preview: PreviewState | null;
  /** Loads a File (drop or picker). A failure adds an error entry; other files stay. */
  loadFile(file: File): Promise<void>;
  /** Loads a file served by the app (e.g. /demo/larcv3_demo.h5); resolves to its id (ready or failed). */
  loadUrl(url: string, name?: string): Promise<string>;
  remove(id: string): void;
  setActive(id: string): void;
  showPreview(fileId: string, path: string): Promise<void>;
  stream: StreamPrefs;
  /** Gives the file a role (another file holding it loses it), or none. */
  setRole(id: string, role: Role | null): void;
  setStreamPrefs(patch: Partial<StreamPrefs>): void;
  /** Reads every entry of the file (the badge says when one fails). */
  checkFile(id: string): Promise<void>;
}

let client: DataWorkerClient | null = null;
/** Replaces the worker client (tests, or the app sharing one client). */
export function setDataClient(c: DataWorkerClient): void {
  client = c;
}
export function getDataClient(): DataWorkerClient {
  client ??= new DataWorkerClient();
  return client;
}

function toError(e: unknown): LoadedFileError {
  if (e instanceof DataFileError) return { code: e.code, message: e.message, dataset: e.dataset, expected: e.expected };
  return { code: 'error', message: e instanceof Error ? e.message : String(e), dataset: null, expected: null };
}

export const useDataStore = create<DataState>((set, get) => {
  const update = (id: string, patch: Partial<LoadedFile>) =>
    set((s) => ({ files: s.files.map((f) => (f.id === id ? { ...f, ...patch } : f)) }));

  async function load(
    name: string,
    size: number,
    open: (c: DataWorkerClient, id: string, progress: (f: number, st: string) => void) => Promise<unknown>,
  ) {
    const c = getDataClient();
    const id = c.newFileId();
    set((s) => ({ files: [...s.files, { id, name, size, status: 'loading', progress: 0, stage: 'starting' }] }));
    try {
      const r = (await open(c, id, (progress, stage) => update(id, { progress, stage }))) as Awaited<ReturnType<DataWorkerClient['open']>>;
      update(id, { status: 'ready', progress: 1, stage: 'done', tree: r.tree, summary: r.summary, mounted: r.mounted, size: r.size });
      set({ activeId: id });
      if (r.size <= AUTO_CHECK_BYTES) void get().checkFile(id);
    } catch (e) {
      update(id, { status: 'error', progress: 1, stage: 'failed', error: toError(e) });
      set({ activeId: id });
    }
    return id;
  }

  return {
    files: [],
    activeId: null,
    preview: null,
    loadFile: async (file) => {
      await load(file.name, file.size, (c, id, p) => c.open(file, p, id));
    },
    loadUrl: async (url, name) => {
      const n = name ?? url.split('/').pop() ?? url;
      return load(n, 0, async (c, id, p) => {
        p(0.01, 'downloading');
        const res = await fetch(url);
        if (!res.ok) throw new Error(`${n}: download failed (HTTP ${res.status})`);
        const bytes = await res.arrayBuffer();
        return c.openBytes(n, bytes, p, id);
      });
    },
    remove: (id) => {
      const f = get().files.find((x) => x.id === id);
      if (f?.status === 'ready')
        void getDataClient()
          .close(id)
          .catch(() => {});
      set((s) => ({
        files: s.files.filter((x) => x.id !== id),
        activeId: s.activeId === id ? (s.files.find((x) => x.id !== id)?.id ?? null) : s.activeId,
        preview: s.preview?.fileId === id ? null : s.preview,
      }));
    },
    setActive: (id) => set({ activeId: id }),
    stream: { split: 0.95, evalEntries: 0, batch: 32 },
    setRole: (id, role) =>
      set((s) => ({
        files: s.files.map((f) =>
          f.id === id ? { ...f, role: role ?? undefined } : role && f.role === role ? { ...f, role: undefined } : f,
        ),
      })),
    setStreamPrefs: (patch) => set((s) => ({ stream: { ...s.stream, ...patch } })),
    checkFile: async (id) => {
      update(id, { check: { status: 'running', progress: 0, message: 'reading every entry' } });
      let r: ReadCheckResult;
      try {
        r = await getDataClient().check(id, (progress, stage) =>
          update(id, { check: { status: 'running', progress, message: `reading ${stage}` } }),
        );
      } catch (e) {
        update(id, {
          check: { status: 'failed', progress: 1, message: `read check failed: ${e instanceof Error ? e.message : String(e)}` },
        });
        return;
      }
      update(id, {
        check: r.ok
          ? {
              status: 'ok',
              progress: 1,
              message: r.checked.length ? `every entry reads (${r.checked.join('; ')})` : 'no entry reader applies to this layout',
            }
          : { status: 'failed', progress: 1, message: `read check failed: ${r.error!.message}` },
      });
    },
    showPreview: async (fileId, path) => {
      set({ preview: { fileId, path, loading: true } });
      try {
        const data = await getDataClient().preview(fileId, path, 20);
        if (get().preview?.path === path && get().preview?.fileId === fileId) set({ preview: { fileId, path, loading: false, data } });
      } catch (e) {
        if (get().preview?.path === path) set({ preview: { fileId, path, loading: false, error: toError(e) } });
      }
    },
  };
});

/**
 * Opens the streams of a Create: the train file (the one holding the train role, else the
 * plan's), the validation file (else the split of the train file) and the test file; one
 * MessageChannel per role, one end served by the data worker, the other ends returned as the
 * training worker's task data (to be transferred). The page holds no batch.
 */
export async function openStreamPorts(
  plan: StreamPlan,
  seed: number,
  config: Record<string, unknown> = {},
  /** SPANet's statistics pass in the data worker (fraction of the pass, what) */
  progress?: (fraction: number, stage: string) => void,
): Promise<{ data: PortStreamData; transfer: Transferable[]; info: StreamInfo }> {
  const { files, stream } = useDataStore.getState();
  // cosmic planes: the task's own "events per batch" (full-resolution events are large), the others the box's entries per batch
  const batch = plan.payload === 'planes' && Number(config.batchSize) > 0 ? Number(config.batchSize) : stream.batch;
  const ready = files.filter((f) => f.status === 'ready');
  const holder = (role: Role) => ready.find((f) => f.role === role);
  const train = holder('train') ?? ready.find((f) => f.id === plan.fileId);
  if (!train) throw new Error('the training file is no longer loaded: load it and choose "Train on this file" again');
  const validation = holder('validation');
  const test = holder('test');
  const roles: [Role, string][] = [
    ['train', train.id],
    ['validation', validation?.id ?? train.id],
  ];
  if (test) roles.push(['test', test.id]);
  const channels = roles.map(([role]) => [role, new MessageChannel()] as const);
  const ends = (k: 'port1' | 'port2') =>
    Object.fromEntries(channels.map(([role, c]) => [role, c[k]])) as Partial<Record<Role, MessagePort>> & { train: MessagePort };
  const clientPorts = ends('port2');
  const fileIds: Partial<Record<Role, string>> & { train: string } = { train: train.id };
  if (validation) fileIds.validation = validation.id;
  if (test) fileIds.test = test.id;
  let opened;
  try {
    opened = await getDataClient().stream(
      {
        files: fileIds,
        option: plan.option,
        settings: { batch, seed, trainFraction: stream.split, evalEntries: stream.evalEntries, prefetch: 3 },
        ports: ends('port1'),
        // SPANet: the data worker applies the options file (batch_size, ranges) and makes the statistics pass
        ...(plan.payload === 'spanet' ? { spanet: { config } } : {}),
      },
      progress,
    );
  } catch (e) {
    for (const p of Object.values(clientPorts)) p?.close();
    throw e;
  }
  const pct = Math.round((1 - stream.split) * 1000) / 10;
  const info: StreamInfo = {
    train: train.name,
    validation: validation
      ? validation.name
      : opened.spanet
        ? `${train.name} beyond its ${opened.spanet.trainEvents} training events (upstream's split)`
        : `last ${pct}% of ${train.name}`,
    ...(test ? { test: test.name } : {}),
    epochSizes: opened.epochSizes,
  };
  const data: PortStreamData = {
    kind: 'stream-ports',
    payload: plan.payload,
    ports: clientPorts as unknown as PortStreamData['ports'],
    targetKind: plan.targetKind,
    classes: opened.classes,
    label: plan.label,
    files: { train: train.name, validation: validation?.name ?? train.name, ...(test ? { test: test.name } : {}) },
    epochSizes: opened.epochSizes,
    ...(opened.spanet ? { spanet: opened.spanet } : {}),
  };
  const ports: Transferable[] = Object.values(clientPorts).filter((p): p is MessagePort => !!p);
  // the statistics' typed arrays move on to the training worker rather than being copied
  return { data, transfer: [...ports, ...transferables(opened.spanet)], info };
}

// The e2e tests look into the page's stores (e.g. that no streamed data is held there).
if (typeof window !== 'undefined') (window as unknown as { __physmlData?: unknown }).__physmlData = useDataStore;
