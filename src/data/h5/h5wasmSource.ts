import type * as H5 from 'h5wasm';
import { DataFileError, summarizeHdf5Message } from '../errors';
import { metaToDType, H5T, type H5Meta } from './dtype';
import { unreadableFilter, unreadableFilterProblem } from './filters';
import { decodeHalfs } from './half';
import type { H5Source } from './source';
import { dtypeToText, normPath, type AttrValue, type DatasetInfo, type NumericArray } from './types';

/** The parts of the h5wasm module namespace we use (the ESM and the Node builds share it). */
export interface H5Lib {
  File: typeof H5.File;
  ready: Promise<typeof H5.Module>;
}
type H5Module = typeof H5.Module;

const errorHandlerSet = new WeakSet<object>();

/**
 * Wasm memory one read piece may take. 64 MiB keeps h5wasm's heap small (a stream reads a
 * batch at a time) while a piece is still large enough that per-call overhead is noise.
 */
const DEFAULT_SLICE_BYTES = 64 << 20;
let sliceBytes = DEFAULT_SLICE_BYTES;
export function readSliceBytes(): number {
  return sliceBytes;
}
/** Sets the read piece size (tests use small pieces to exercise the splitting); returns the old one. */
export function setReadSliceBytes(n: number): number {
  const old = sliceBytes;
  sliceBytes = n > 0 ? Math.floor(n) : DEFAULT_SLICE_BYTES;
  return old;
}
/** The largest single read: JS typed arrays hold at most 2^32 − 1 bytes on V8 (Node 20). */
export const MAX_READ_BYTES = 2 ** 32 - 1;

/** Opens `fsPath` (a path in h5wasm's Emscripten FS) read-only; errors become DataFileErrors. */
export async function openWithH5wasm(lib: H5Lib, fsPath: string, fileName: string, onClose?: () => void): Promise<H5Source> {
  const M = await lib.ready;
  if (!errorHandlerSet.has(M)) {
    // turn HDF5's stderr diagnostics into JS exceptions carrying the stack
    M.activate_throwing_error_handler();
    errorHandlerSet.add(M);
  }
  let f: H5.File;
  try {
    f = new lib.File(fsPath, 'r');
  } catch (e) {
    throw classifyOpenError(e, fileName);
  }
  if (f.file_id < 0n) throw new DataFileError({ code: 'open-failed', file: fileName, problem: 'HDF5 could not open the file' });
  return new H5wasmSource(M, f, fileName, onClose);
}

export function classifyOpenError(e: unknown, fileName: string): DataFileError {
  const msg = e instanceof Error ? e.message : String(e);
  if (/file signature not found/i.test(msg))
    return new DataFileError({
      code: 'not-hdf5',
      file: fileName,
      problem: 'not an HDF5 file (no HDF5 signature)',
      expected: 'an HDF5 file',
    });
  const t = /truncated file: eof = (\d+).*stored_eof = (\d+)/.exec(msg);
  if (t)
    return new DataFileError({
      code: 'truncated',
      file: fileName,
      problem: `file is truncated: ${t[1]} bytes present`,
      expected: `${t[2]} bytes`,
    });
  return new DataFileError({ code: 'open-failed', file: fileName, problem: summarizeHdf5Message(msg) });
}

class H5wasmSource implements H5Source {
  private infoCache = new Map<string, DatasetInfo>();
  private closed = false;
  constructor(
    private readonly M: H5Module,
    private readonly f: H5.File,
    readonly fileName: string,
    private readonly onClose?: () => void,
  ) {}

  private type(path: string): number {
    try {
      return this.M.get_type(this.f.file_id, normPath(path));
    } catch {
      return -1;
    }
  }
  exists(path: string): boolean {
    return normPath(path) === '/' || this.type(path) >= 0;
  }
  isGroup(path: string): boolean {
    return normPath(path) === '/' || this.type(path) === this.M.H5G_GROUP;
  }
  isDataset(path: string): boolean {
    return this.type(path) === this.M.H5G_DATASET;
  }
  keys(path: string): string[] {
    try {
      return this.M.get_names(this.f.file_id, normPath(path), false);
    } catch (e) {
      throw this.fail(path, e);
    }
  }

  attrs(path: string): Record<string, AttrValue> {
    const out: Record<string, AttrValue> = {};
    try {
      const obj = this.f.get(normPath(path)) as H5.Group | H5.Dataset | null;
      if (!obj || !('attrs' in obj)) return out;
      for (const [k, a] of Object.entries(obj.attrs)) {
        try {
          out[k] = toAttrValue(a.json_value);
        } catch {
          out[k] = null;
        }
      }
    } catch {
      /* attributes are informative only */
    }
    return out;
  }

  info(path: string): DatasetInfo {
    const p = normPath(path);
    const cached = this.infoCache.get(p);
    if (cached) return cached;
    if (!this.isDataset(p))
      throw new DataFileError({
        code: 'missing-dataset',
        file: this.fileName,
        dataset: p,
        problem: 'dataset is missing',
        expected: 'a dataset',
      });
    let meta: H5Meta & { shape: number[] | null; maxshape: number[] | null; chunks: number[] | null };
    let filters: { id: number; name: string }[] = [];
    try {
      meta = this.M.get_dataset_metadata(this.f.file_id, p) as typeof meta;
      filters = this.M.get_dataset_filters(this.f.file_id, p);
    } catch (e) {
      throw this.fail(p, e);
    }
    const dtype = metaToDType(meta);
    const info: DatasetInfo = {
      path: p,
      name: p.split('/').pop() ?? p,
      shape: meta.shape ? [...meta.shape] : [],
      maxshape: meta.maxshape ? meta.maxshape.map((d) => (d > Number.MAX_SAFE_INTEGER || d < 0 ? -1 : d)) : null,
      dtype,
      dtypeText: dtypeToText(dtype),
      chunks: meta.chunks ? [...meta.chunks] : null,
      filters: filters.map((x) => x.name),
      filterIds: filters.map((x) => Number(x.id)),
      attrs: this.attrs(p),
    };
    this.infoCache.set(p, info);
    return info;
  }

  readRows(path: string, start: number, count: number): Uint8Array {
    const info = this.info(path);
    const { shape } = info;
    if (info.dtype.kind === 'string' && info.dtype.vlen)
      throw new DataFileError({
        code: 'bad-dtype',
        file: this.fileName,
        dataset: info.path,
        problem: 'raw read of variable-length strings',
      });
    if (shape.length === 0) {
      // scalar dataset
      return this.readSelection(info, null, null, info.dtype.size);
    }
    if (start < 0 || count < 0 || start + count > shape[0]!)
      throw new DataFileError({
        code: 'out-of-range',
        file: this.fileName,
        dataset: info.path,
        problem: `rows ${start}..${start + count} requested`,
        expected: `rows within 0..${shape[0]}`,
      });
    if (count === 0) return new Uint8Array(0);
    return this.readBox(info, [start, ...shape.slice(1).map(() => 0)], [count, ...shape.slice(1)]);
  }

  /**
   * Reads the hyperslab `offset`/`count` in pieces of at most readSliceBytes() each: h5wasm's
   * `_malloc` takes a 32-bit size (a larger request wraps around and the read comes back
   * truncated without an error) and the wasm heap itself is bounded, so no read asks for
   * more than one slice of wasm memory. The result is one JS array, refused up front when it
   * would pass MAX_READ_BYTES (read fewer rows: a stream reads a batch at a time).
   */
  private readBox(info: DatasetInfo, offset: number[], count: number[]): Uint8Array {
    const size = info.dtype.size;
    const total = count.reduce((a, b) => a * b, size);
    if (total > MAX_READ_BYTES)
      throw new DataFileError({
        code: 'bad-request',
        file: this.fileName,
        dataset: info.path,
        problem: `a read of ${count[0]} rows is ${total} bytes, more than one read may return (${MAX_READ_BYTES} bytes)`,
        expected: 'fewer rows per read (stream the dataset in batches)',
      });
    const slice = readSliceBytes();
    if (total <= slice) return this.readSelection(info, count.map(BigInt), offset.map(BigInt), total);
    const out = new Uint8Array(total);
    let at = 0;
    // Split the outermost axis with more than one index; a piece of one index that is still
    // too large is split along the next axis. Pieces stay contiguous in row-major order.
    const visit = (off: number[], cnt: number[]) => {
      const bytes = cnt.reduce((a, b) => a * b, size);
      if (bytes <= slice) {
        out.set(this.readSelection(info, cnt.map(BigInt), off.map(BigInt), bytes), at);
        at += bytes;
        return;
      }
      const axis = cnt.findIndex((c) => c > 1);
      const unit = bytes / cnt[axis]!;
      const step = Math.max(1, Math.floor(slice / unit));
      for (let i = 0; i < cnt[axis]!; i += step) {
        const o = off.slice();
        const c = cnt.slice();
        o[axis] = off[axis]! + i;
        c[axis] = Math.min(step, cnt[axis]! - i);
        visit(o, c);
      }
    };
    visit(offset, count);
    return out;
  }

  private readSelection(info: DatasetInfo, count: bigint[] | null, offset: bigint[] | null, nbytes: number): Uint8Array {
    const M = this.M;
    if (nbytes > 0x7fffffff)
      throw new DataFileError({
        code: 'read-failed',
        file: this.fileName,
        dataset: info.path,
        problem: `a single read of ${nbytes} bytes does not fit wasm's 32-bit allocator`,
      });
    const ptr = M._malloc(Math.max(nbytes, 1));
    if (!ptr)
      throw new DataFileError({ code: 'read-failed', file: this.fileName, dataset: info.path, problem: `cannot allocate ${nbytes} bytes` });
    try {
      const strides = count ? count.map(() => 1n) : null;
      const status = M.get_dataset_data(this.f.file_id, info.path, count, offset, strides, BigInt(ptr));
      if (status < 0) throw new Error(`H5Dread failed (status ${status})`);
      return M.HEAPU8.slice(ptr, ptr + nbytes);
    } catch (e) {
      // HDF5 only says it found no plugin directory; name the filter and the way out instead
      const filter = unreadableFilter(info);
      if (filter)
        throw new DataFileError({
          code: 'read-failed',
          file: this.fileName,
          dataset: info.path,
          problem: unreadableFilterProblem(info, this.fileName, filter),
        });
      throw this.fail(info.path, e);
    } finally {
      M._free(ptr);
    }
  }

  readNumeric(path: string, start = 0, count?: number): NumericArray {
    const info = this.info(path);
    const n = count ?? (info.shape.length ? info.shape[0]! - start : 1);
    const bytes = this.readRows(path, start, n);
    const t = info.dtype;
    const buf = bytes.buffer as ArrayBuffer;
    const size = t.size;
    if (t.kind === 'float') {
      if (size === 2) return decodeHalfs(bytes);
      if (size === 4) return new Float32Array(buf, 0, bytes.length / 4);
      if (size === 8) return new Float64Array(buf, 0, bytes.length / 8);
    } else if (t.kind === 'int' || t.kind === 'enum' || t.kind === 'bool') {
      const signed = t.kind === 'bool' ? false : t.signed;
      if (size === 1) return signed ? new Int8Array(buf) : new Uint8Array(buf);
      if (size === 2) return signed ? new Int16Array(buf) : new Uint16Array(buf);
      if (size === 4) return signed ? new Int32Array(buf) : new Uint32Array(buf);
      if (size === 8) return signed ? new BigInt64Array(buf) : new BigUint64Array(buf);
    }
    throw new DataFileError({
      code: 'bad-dtype',
      file: this.fileName,
      dataset: info.path,
      problem: `dtype ${info.dtypeText} is not numeric`,
      expected: 'an integer or float dataset',
    });
  }

  readStrings(path: string, start = 0, count?: number): string[] {
    const info = this.info(path);
    if (info.dtype.kind !== 'string')
      throw new DataFileError({
        code: 'bad-dtype',
        file: this.fileName,
        dataset: info.path,
        problem: `dtype ${info.dtypeText} is not a string`,
        expected: 'strings',
      });
    const n = count ?? (info.shape.length ? info.shape[0]! - start : 1);
    try {
      const ds = this.f.get(info.path) as H5.Dataset;
      const v = info.shape.length ? ds.slice([[start, start + n]]) : ds.value;
      return (Array.isArray(v) ? v : [v]).map((x) => String(x));
    } catch (e) {
      throw this.fail(info.path, e);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.f.close();
    } finally {
      this.onClose?.();
    }
  }

  private fail(path: string, e: unknown): DataFileError {
    if (e instanceof DataFileError) return e;
    const msg = e instanceof Error ? e.message : String(e);
    return new DataFileError({ code: 'read-failed', file: this.fileName, dataset: normPath(path), problem: summarizeHdf5Message(msg) });
  }
}

function toAttrValue(v: unknown): AttrValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) {
    const flat = (v as unknown[]).flat(8);
    if (flat.every((x) => typeof x === 'string')) return flat as string[];
    return flat.map((x) => (typeof x === 'boolean' ? (x ? 1 : 0) : Number(x)));
  }
  return String(v);
}

export { H5T };
