/// <reference lib="webworker" />
/**
 * Web Worker that owns h5wasm. Files are mounted with WORKERFS (read lazily
 * from the File, never copied nor held twice); when mounting is impossible the
 * bytes are copied into MEMFS in chunks, with progress.
 */
import * as h5 from 'h5wasm';
import { DataFileError } from '../errors';
import { openWithH5wasm, type H5Lib } from '../h5/h5wasmSource';
import { findHdf5Signature } from '../h5/signature';
import { FileSessions } from './session';
import { transferables, type WorkerRequest, type WorkerResponse } from './protocol';

declare const self: DedicatedWorkerGlobalScope;

const lib = h5 as unknown as H5Lib;
const sessions = new FileSessions();
const mounts = new Map<string, string>();
let counter = 0;

type EmFS = {
  mkdir(p: string): void;
  rmdir(p: string): void;
  mount(type: unknown, opts: unknown, p: string): void;
  unmount(p: string): void;
  writeFile(p: string, d: Uint8Array): void;
  unlink(p: string): void;
  filesystems: Record<string, unknown>;
};

function post(msg: WorkerResponse, transfer: Transferable[] = []) {
  self.postMessage(msg, transfer);
}

async function checkSignature(blob: Blob, name: string) {
  const head = new Uint8Array(await blob.slice(0, 4096).arrayBuffer());
  if (findHdf5Signature(head) < 0)
    throw new DataFileError({ code: 'not-hdf5', file: name, problem: 'not an HDF5 file (no HDF5 signature)', expected: 'an HDF5 file' });
}

async function openFile(id: number, fileId: string, file: File) {
  const progress = (fraction: number, stage: string) => post({ id, type: 'progress', fraction, stage });
  progress(0.02, 'checking the file');
  await checkSignature(file, file.name);
  const M = await lib.ready;
  const FS = M.FS as unknown as EmFS;
  const dir = `/mnt${++counter}`;
  FS.mkdir(dir);
  let mounted = false;
  let fsPath = `${dir}/${file.name}`;
  try {
    if (!FS.filesystems['WORKERFS']) throw new Error('no WORKERFS');
    FS.mount(FS.filesystems['WORKERFS'], { files: [file] }, dir);
    mounted = true;
    progress(0.3, 'mounted, opening');
  } catch {
    // fallback: copy into memory in chunks
    fsPath = `${dir}/file.h5`;
    const buf = new Uint8Array(file.size);
    const step = 8 << 20;
    for (let o = 0; o < file.size; o += step) {
      buf.set(new Uint8Array(await file.slice(o, o + step).arrayBuffer()), o);
      progress(0.05 + 0.45 * Math.min(1, (o + step) / file.size), 'reading into memory');
    }
    FS.writeFile(fsPath, buf);
  }
  mounts.set(fileId, dir);
  const cleanup = () => {
    try {
      if (mounted) FS.unmount(dir);
      else FS.unlink(fsPath);
      FS.rmdir(dir);
    } catch {
      /* already gone */
    }
    mounts.delete(fileId);
  };
  try {
    const src = await openWithH5wasm(lib, fsPath, file.name, cleanup);
    progress(0.5, 'opened');
    return sessions.add(fileId, src, file.size, mounted, progress);
  } catch (e) {
    cleanup();
    throw e;
  }
}

async function openBytes(id: number, fileId: string, name: string, bytes: ArrayBuffer) {
  // a Blob-backed File lets WORKERFS serve the bytes without a second copy
  return openFile(id, fileId, new File([bytes], name));
}

async function handle(req: WorkerRequest): Promise<unknown> {
  switch (req.op) {
    case 'open':
      return openFile(req.id, req.fileId, req.file);
    case 'openBytes':
      return openBytes(req.id, req.fileId, req.name, req.bytes);
    case 'preview':
      return sessions.preview(req.fileId, req.path, req.rows);
    case 'readEntries':
      return sessions.readEntries(req.fileId, req.product, req.producer, req.start, req.end);
    case 'readSpanet':
      return sessions.readSpanet(req.fileId, req.start, req.end);
    case 'readSets':
      return sessions.readSets(req.fileId, req.layout, req.target);
    case 'readHits':
      return sessions.readHits(req.fileId, req.layout, req.idColumn);
    case 'stream':
      return sessions.openStream(req.request, (fraction, stage) => post({ id: req.id, type: 'progress', fraction, stage }));
    case 'check':
      return sessions.check(req.fileId, (fraction, stage) => post({ id: req.id, type: 'progress', fraction, stage }));
    case 'close':
      sessions.close(req.fileId);
      return true;
  }
}

self.onmessage = async (ev: MessageEvent<WorkerRequest>) => {
  const req = ev.data;
  try {
    const result = await handle(req);
    post({ id: req.id, type: 'result', result }, transferables(result));
  } catch (e) {
    const error = e instanceof DataFileError ? e.toJSON() : { name: 'Error' as const, message: e instanceof Error ? e.message : String(e) };
    post({ id: req.id, type: 'error', error });
  }
};
