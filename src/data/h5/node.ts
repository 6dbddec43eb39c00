import { mkdtempSync, rmSync, writeFileSync, openSync, readSync, closeSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { DataFileError } from '../errors';
import { openWithH5wasm, type H5Lib } from './h5wasmSource';
import { findHdf5Signature } from './signature';
import type { H5Source } from './source';

let libPromise: Promise<H5Lib> | null = null;

/** h5wasm's Node build (NODERAWFS: it reads host paths directly). */
export function nodeH5Lib(): Promise<H5Lib> {
  libPromise ??= import('h5wasm/node').then(async (m) => {
    await m.ready;
    return m as unknown as H5Lib;
  });
  return libPromise;
}

function checkHead(head: Uint8Array, name: string): void {
  if (findHdf5Signature(head) < 0)
    throw new DataFileError({ code: 'not-hdf5', file: name, problem: 'not an HDF5 file (no HDF5 signature)', expected: 'an HDF5 file' });
}

/** Opens an HDF5 file from a host path, or from bytes (written to a temporary file). */
export async function openNodeH5(input: string | Uint8Array, name?: string): Promise<H5Source> {
  const lib = await nodeH5Lib();
  if (typeof input === 'string') {
    const path = resolve(input);
    const fileName = name ?? basename(path);
    if (!existsSync(path)) throw new DataFileError({ code: 'open-failed', file: fileName, problem: 'file not found' });
    const fd = openSync(path, 'r');
    const head = new Uint8Array(4096);
    const n = readSync(fd, head, 0, head.length, 0);
    closeSync(fd);
    checkHead(head.subarray(0, n), fileName);
    return openWithH5wasm(lib, path, fileName);
  }
  const fileName = name ?? 'memory.h5';
  checkHead(input.subarray(0, 4096), fileName);
  const dir = mkdtempSync(join(tmpdir(), 'h5src-'));
  const path = join(dir, 'file.h5');
  writeFileSync(path, input);
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    return await openWithH5wasm(lib, path, fileName, cleanup);
  } catch (e) {
    cleanup();
    throw e;
  }
}
