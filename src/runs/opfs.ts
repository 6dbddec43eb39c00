/**
 * FolderStore on the origin-private file system (navigator.storage.getDirectory()): the
 * browser's run folders, usable from the page and from workers. Nothing leaves the machine.
 */
import type { FolderStore } from './checkpointStore';

export const RUNS_ROOT = 'physml-runs';

type Dir = FileSystemDirectoryHandle;

async function walk(root: Dir, parts: string[], create: boolean): Promise<Dir | null> {
  let d = root;
  for (const p of parts) {
    try {
      d = await d.getDirectoryHandle(p, { create });
    } catch (err) {
      if ((err as DOMException).name === 'NotFoundError' || (err as DOMException).name === 'TypeMismatchError') return null;
      throw err;
    }
  }
  return d;
}

const split = (path: string) => path.split('/').filter(Boolean);

export function opfsAvailable(): boolean {
  return typeof navigator !== 'undefined' && typeof navigator.storage?.getDirectory === 'function';
}

/** The store rooted at <origin storage>/<base path> (default: the runs root). */
export function opfsFolderStore(base = RUNS_ROOT): FolderStore {
  const root = async () => (await walk(await navigator.storage.getDirectory(), split(base), true))!;
  return {
    async listDirs(path) {
      const d = await walk(await root(), split(path), false);
      if (!d) return [];
      const out: string[] = [];
      for await (const [name, h] of (d as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries()) {
        if (h.kind === 'directory') out.push(name);
      }
      return out.sort();
    },
    async readFile(path) {
      const parts = split(path);
      const d = await walk(await root(), parts.slice(0, -1), false);
      if (!d) return null;
      try {
        const f = await (await d.getFileHandle(parts[parts.length - 1])).getFile();
        return new Uint8Array(await f.arrayBuffer());
      } catch (err) {
        if ((err as DOMException).name === 'NotFoundError') return null;
        throw err;
      }
    },
    async writeFile(path, bytes) {
      const parts = split(path);
      const d = (await walk(await root(), parts.slice(0, -1), true))!;
      const h = await d.getFileHandle(parts[parts.length - 1], { create: true });
      // createWritable writes to a swap file and replaces the file on close: a failed write
      // (a full quota) leaves the old contents.
      const w = await h.createWritable();
      try {
        await w.write(bytes as unknown as BufferSource);
        await w.close();
      } catch (err) {
        await w.abort().catch(() => undefined);
        throw err;
      }
    },
    async removeDir(path) {
      const parts = split(path);
      const d = await walk(await root(), parts.slice(0, -1), false);
      if (!d) return;
      try {
        await d.removeEntry(parts[parts.length - 1], { recursive: true });
      } catch (err) {
        if ((err as DOMException).name !== 'NotFoundError') throw err;
      }
    },
  };
}

/** The run folder <runs root>/<runId>. */
export const runFolder = (runId: string) => opfsFolderStore(`${RUNS_ROOT}/${runId}`);
