import { create } from 'zustand';
import type { FileSummary } from '../data/detect';
import { DataFileError } from '../data/errors';
import type { TreeNode } from '../data/h5/types';
import type { Preview } from '../data/preview';
import { DataWorkerClient } from '../data/worker/client';

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

  async function load(name: string, size: number, open: (c: DataWorkerClient, id: string, progress: (f: number, st: string) => void) => Promise<unknown>) {
    const c = getDataClient();
    const id = c.newFileId();
    set((s) => ({ files: [...s.files, { id, name, size, status: 'loading', progress: 0, stage: 'starting' }] }));
    try {
      const r = (await open(c, id, (progress, stage) => update(id, { progress, stage }))) as Awaited<ReturnType<DataWorkerClient['open']>>;
      update(id, { status: 'ready', progress: 1, stage: 'done', tree: r.tree, summary: r.summary, mounted: r.mounted, size: r.size });
      set({ activeId: id });
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
      if (f?.status === 'ready') void getDataClient().close(id).catch(() => {});
      set((s) => ({
        files: s.files.filter((x) => x.id !== id),
        activeId: s.activeId === id ? (s.files.find((x) => x.id !== id)?.id ?? null) : s.activeId,
        preview: s.preview?.fileId === id ? null : s.preview,
      }));
    },
    setActive: (id) => set({ activeId: id }),
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
