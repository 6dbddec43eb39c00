/**
 * From a file's training option and the files' roles to the streams a task trains from:
 * which EntryReader reads the option's data, and which entry ranges and orders train,
 * validate and test. Shared by `physml train` (streams in-process) and the data worker
 * (streams served over MessagePorts to the training worker).
 */
import { toFloat64 } from '../h5/decode';
import type { H5Source } from '../h5/source';
import type { FileRequest } from '../../tasks/fromFile/options';
import { MAX_CLASSES } from '../../tasks/fromFile/targets';
import { JaggedHitsReader, JaggedSetsReader } from './jagged';
import { EntryOrder, splitRange, type EntryRange, type OrderOptions } from './order';
import { Larcv3PlanesReader } from './planesReader';
import { Larcv3HitsReader } from './ranges';
import { SpanetEntryReader } from './spanetReader';
import { StreamDataError, type EntryReader } from './types';

export { STREAMABLE, streamable } from './streamable';

export function entryReaderFor(src: H5Source, r: FileRequest): EntryReader<unknown> {
  switch (r.kind) {
    case 'generic-sets':
      return new JaggedSetsReader(src, r.layout, r.target);
    case 'generic-hits':
      return new JaggedHitsReader(src, r.layout, r.idColumn);
    case 'larcv3-clusters':
      return new Larcv3HitsReader(src, r.product, r.producer);
    case 'larcv3-segmentation':
      return new Larcv3PlanesReader(src, r.imageProducer, r.labelProducer);
    case 'spanet-events':
      return new SpanetEntryReader(src);
    default:
      throw new Error(`${src.fileName}: the option ${r.kind} does not stream yet (it is read whole)`);
  }
}

export interface StreamSettings {
  /** Entries per training batch. */
  batch: number;
  seed: number;
  /** With no validation file: the training file's first fraction trains, the rest validates (default 0.95). */
  trainFraction?: number;
  /** Entries of the validation stream per evaluation (default all). */
  evalEntries?: number;
  /** Cap on the training file's entries (RUN.json data.entries). */
  entries?: number;
  prefetch?: number;
}

export type Role = 'train' | 'validation' | 'test';

/** The entry order of each role, given how many entries each role's file has. */
export function planOrders(
  counts: { train: number; validation?: number; test?: number },
  s: StreamSettings,
): Partial<Record<Role, OrderOptions>> {
  const trainN = Math.min(counts.train, s.entries ?? Infinity);
  let train: EntryRange = { start: 0, end: trainN };
  let validation: EntryRange | null = counts.validation !== undefined ? { start: 0, end: counts.validation } : null;
  if (!validation) {
    const sp = splitRange(trainN, s.trainFraction ?? 0.95);
    train = sp.train;
    validation = sp.validation;
  }
  const evalBatch = Math.max(1, s.batch);
  const out: Partial<Record<Role, OrderOptions>> = {
    train: { range: train, shuffle: true, seed: s.seed, batch: s.batch },
    validation: { range: validation, shuffle: false, batch: evalBatch, epochs: 1, limit: s.evalEntries || undefined },
  };
  if (counts.test !== undefined) out.test = { range: { start: 0, end: counts.test }, shuffle: false, batch: evalBatch, epochs: 1 };
  return out;
}

export { EntryOrder };

/** Sorted distinct values of a class target, scanned in slices (only the distinct values are kept). */
export function scanClasses(src: H5Source, target: string): number[] {
  const n = src.info(target).shape[0] ?? 0;
  const seen = new Set<number>();
  const step = 1 << 20;
  for (let s = 0; s < n; s += step) {
    const v = toFloat64(src.readNumeric(target, s, Math.min(step, n - s)));
    for (let i = 0; i < v.length; i++) {
      if (Number.isNaN(v[i])) continue;
      seen.add(v[i]);
      if (seen.size > MAX_CLASSES) throw new StreamDataError(src.fileName, target, s + i, `more than ${MAX_CLASSES} distinct class values`);
    }
  }
  return [...seen].sort((a, b) => a - b);
}
