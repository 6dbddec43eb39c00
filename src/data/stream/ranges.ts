/**
 * Entry readers over readers that take entry ranges (larcv3 products, SPANet events): a
 * batch is read run by run of consecutive entries, each run one range read.
 */
import { DataFileError } from '../errors';
import type { H5Source } from '../h5/source';
import { Larcv3Reader, type ClusterEntries, type SparseEntries } from '../larcv3/reader';
import { readSpanetEvents, spanetLayout, type SpanetEvents } from '../spanet/reader';
import { hitsFromClusters } from '../../tasks/fromFile/convert';
import type { HitsData } from '../../tasks/clustering/data';
import { StreamDataError, type EntryReader } from './types';
import { entryRuns, runEntries } from './runs';

/** A payload of one range read per run, with the entries it covers. */
export interface RunsPayload<T> {
  runs: T[];
  entries: Uint32Array;
}

/** Turns a DataFileError of a range read into a StreamDataError naming the first entry of the range (or the one the error names). */
function asStreamError(e: unknown, file: string, range: { start: number; end: number }): StreamDataError {
  if (e instanceof StreamDataError) return e;
  if (e instanceof DataFileError) {
    const m = /entry (\d+)/.exec(e.problem);
    return new StreamDataError(e.file || file, e.dataset, m ? Number(m[1]) : range.start, e.problem);
  }
  return new StreamDataError(file, null, range.start, e instanceof Error ? e.message : String(e));
}

export class RangeEntryReader<T> implements EntryReader<RunsPayload<T>> {
  constructor(
    readonly file: string,
    readonly entries: number,
    private readRange: (range: { start: number; end: number }) => T,
  ) {}

  read(entries: Uint32Array): RunsPayload<T> {
    const runs = entryRuns(entries);
    return {
      runs: runs.map((r) => {
        try {
          return this.readRange(r);
        } catch (e) {
          throw asStreamError(e, this.file, r);
        }
      }),
      entries: runEntries(runs),
    };
  }
}

function producerEntries(r: Larcv3Reader, type: string, producer: string): number {
  const p = r.products().find((q) => q.type === type && q.producer === producer);
  if (!p)
    throw new DataFileError({
      code: 'missing-dataset',
      file: r.fileName,
      dataset: `/Data/${type}_${producer}_group`,
      problem: `no ${type} product from producer "${producer}"`,
      expected: `a ${type} product`,
    });
  return p.nEntries;
}

export function larcv3SparseReader(src: H5Source, type: 'sparse2d' | 'sparse3d', producer: string): RangeEntryReader<SparseEntries> {
  const r = new Larcv3Reader(src);
  return new RangeEntryReader(src.fileName, producerEntries(r, type, producer), (range) => r.readSparse(type, producer, range));
}

export function larcv3ClusterReader(src: H5Source, type: 'cluster2d' | 'cluster3d', producer: string): RangeEntryReader<ClusterEntries> {
  const r = new Larcv3Reader(src);
  return new RangeEntryReader(src.fileName, producerEntries(r, type, producer), (range) => r.readClusters(type, producer, range));
}

export function spanetEventReader(src: H5Source): RangeEntryReader<SpanetEvents> {
  const layout = spanetLayout(src);
  return new RangeEntryReader(src.fileName, layout.nEvents, (range) => readSpanetEvents(src, range, layout));
}

/**
 * Clustering events from a larcv3 cluster2d/3d producer: one event per (entry, plane), as
 * "Train on this file" builds them (hitsFromClusters), concatenated over the batch's runs.
 */
export class Larcv3HitsReader implements EntryReader<HitsData & { entries: Uint32Array }> {
  private inner: RangeEntryReader<ClusterEntries>;
  readonly file: string;
  readonly entries: number;

  constructor(src: H5Source, type: 'cluster2d' | 'cluster3d', producer: string) {
    this.inner = larcv3ClusterReader(src, type, producer);
    this.file = src.fileName;
    this.entries = this.inner.entries;
  }

  read(entries: Uint32Array) {
    const { runs, entries: order } = this.inner.read(entries);
    const parts = runs
      .map((c) => {
        try {
          return hitsFromClusters(c);
        } catch {
          return null; // a run without voxels: no events from it
        }
      })
      .filter((h): h is HitsData => h !== null);
    return { ...concatHits(parts), entries: order };
  }
}

export function concatHits(parts: HitsData[]): HitsData {
  const width = parts[0]?.width ?? 3;
  const nHits = parts.reduce((a, p) => a + p.objectId.length, 0);
  const nEv = parts.reduce((a, p) => a + p.eventOffsets.length - 1, 0);
  const features = new Float32Array(nHits * width);
  const objectId = new Int32Array(nHits);
  const eventOffsets = new Uint32Array(nEv + 1);
  const eventNames: string[] = [];
  let h = 0;
  let ev = 0;
  for (const p of parts) {
    features.set(p.features, h * width);
    objectId.set(p.objectId, h);
    for (let k = 1; k < p.eventOffsets.length; k++) eventOffsets[++ev] = h + p.eventOffsets[k];
    h += p.objectId.length;
    for (let k = 0; k + 1 < p.eventOffsets.length; k++) eventNames.push(p.eventNames?.[k] ?? `event ${eventNames.length}`);
  }
  return { kind: 'hits', features, width, objectId, eventOffsets, positionDims: parts[0]?.positionDims ?? 2, eventNames };
}
