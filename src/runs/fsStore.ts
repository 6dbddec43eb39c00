/** FolderStore on the Node file system (the CLI's run folders). */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { FolderStore } from './checkpointStore';

export function fsFolderStore(root: string): FolderStore {
  const at = (p: string) => join(root, ...p.split('/'));
  return {
    async listDirs(path) {
      try {
        return (await readdir(at(path), { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw err;
      }
    },
    async readFile(path) {
      try {
        return new Uint8Array(await readFile(at(path)));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw err;
      }
    },
    async writeFile(path, bytes) {
      await mkdir(dirname(at(path)), { recursive: true });
      await writeFile(at(path), bytes);
    },
    async removeDir(path) {
      await rm(at(path), { recursive: true, force: true });
    },
  };
}
