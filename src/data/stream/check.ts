/**
 * The full read check: every entry of a file read through the stream's entry readers (the
 * ones its training options would train from), batch by batch in file order, so that a file
 * that looks fine from its metadata (extents outside the voxels, NaN values, bad offsets, a
 * corrupt chunk) is caught before training reaches the entry. Used by `physml inspect --check`
 * and the data worker's `check` request (the app's file badge).
 */
import type { H5Source } from '../h5/source';
import type { FileRequest } from '../../tasks/fromFile/options';
import { DataFileError } from '../errors';
import { EntryOrder } from './order';
import { entryReaderFor, streamable } from './plan';
import { larcv3SparseReader, spanetEventReader } from './ranges';
import { BatchReader } from './reader';
import { StreamDataError, type EntryReader } from './types';

export interface ReadCheckResult {
  ok: boolean;
  /** Entries read without a problem, over all readers. */
  entries: number;
  /** What was read, one line per reader ("sparse2d wire: 20 entries"). */
  checked: string[];
  /** The first bad entry. */
  error?: { file: string; dataset: string | null; entry: number | null; problem: string; message: string };
}

export interface ReadCheckOptions {
  /** Entries per read (default 256). */
  batch?: number;
  /** Awaited between reads (the data worker yields so that streams it serves keep going). */
  between?: () => Promise<void>;
  progress?: (fraction: number, what: string) => void;
}

/** The readers behind a file's training options, without duplicates (two targets of one layout read the same features). */
function readersFor(src: H5Source, requests: FileRequest[]): { what: string; make: () => EntryReader<unknown> }[] {
  const out = new Map<string, { what: string; make: () => EntryReader<unknown> }>();
  for (const r of requests) {
    if (streamable(r)) {
      const what =
        r.kind === 'larcv3-clusters'
          ? `${r.product} ${r.producer}`
          : r.kind === 'generic-sets'
            ? `sets of ${r.layout.features.join(', ')} with ${r.target}`
            : r.kind === 'generic-hits'
              ? `hits of ${r.layout.features.join(', ')}`
              : r.kind === 'spanet-events'
                ? 'SPANet events'
                : r.kind;
      out.set(what, { what, make: () => entryReaderFor(src, r) });
    } else if (r.kind === 'larcv3-segmentation') {
      for (const p of [r.imageProducer, r.labelProducer])
        out.set(`sparse2d ${p}`, { what: `sparse2d ${p}`, make: () => larcv3SparseReader(src, 'sparse2d', p) });
    } else {
      out.set('SPANet events', { what: 'SPANet events', make: () => spanetEventReader(src) });
    }
  }
  return [...out.values()];
}

function asStreamError(e: unknown, file: string): StreamDataError {
  if (e instanceof StreamDataError) return e;
  if (e instanceof DataFileError) return new StreamDataError(e.file || file, e.dataset, null, e.problem);
  return new StreamDataError(file, null, null, e instanceof Error ? e.message : String(e));
}

/** Reads every entry of every reader of `requests`; stops at the first bad entry. */
export async function readCheck(src: H5Source, requests: FileRequest[], opts: ReadCheckOptions = {}): Promise<ReadCheckResult> {
  const batch = Math.max(1, opts.batch ?? 256);
  const checked: string[] = [];
  let entries = 0;
  const readers = readersFor(src, requests);
  for (const [i, r] of readers.entries()) {
    let reader: EntryReader<unknown>;
    try {
      reader = r.make();
    } catch (e) {
      return failed(asStreamError(e, src.fileName), entries, checked);
    }
    const br = new BatchReader(reader, new EntryOrder({ range: { start: 0, end: reader.entries }, shuffle: false, batch, epochs: 1 }), {
      prefetch: 0,
    });
    try {
      for (;;) {
        const b = await br.next(); // a failed batch is bisected to its entry
        if (!b) break;
        entries += b.entries.length;
        opts.progress?.((i + (b.place.position + b.entries.length) / Math.max(1, reader.entries)) / readers.length, r.what);
        await opts.between?.();
      }
    } catch (e) {
      return failed(asStreamError(e, src.fileName), entries, checked);
    } finally {
      br.close();
    }
    checked.push(`${r.what}: ${reader.entries} entries`);
  }
  return { ok: true, entries, checked };
}

function failed(e: StreamDataError, entries: number, checked: string[]): ReadCheckResult {
  return {
    ok: false,
    entries,
    checked,
    error: { file: e.file, dataset: e.dataset, entry: e.entry, problem: e.problem, message: e.message },
  };
}
