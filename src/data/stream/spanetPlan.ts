/**
 * What a SPANet stream needs before training starts, shared by `physml train`
 * (src/cli/fileData.ts) and the app's data worker (src/data/worker/session.ts), so both
 * stream the same events: the batch size and ranges after the options file (upstream's
 * train_validation_split / dataset_limit / dataset_randomization without a validation file),
 * the event description (the event file, or inferred from the file's first slice) and the
 * statistics pass over the training file (streamStats.ts).
 */
import { inferEventSpec, parseEventFile, type EventSpec } from '../../tasks/spanet/eventSpec';
import type { SpanetConfig } from '../../tasks/spanet/spec';
import {
  SPANET_STATS_SLICE,
  spanetRanges,
  nextReadable,
  spanetStatistics,
  spanetStreamConfig,
  type SpanetStatistics,
} from '../../tasks/spanet/streamStats';
import { sampleValues, tablesLayout } from '../../tasks/spanet/tables';
import { EntryOrder, type OrderOptions } from './order';
import { planOrders, type Role, type StreamSettings } from './plan';
import { eventOrder, splitRanges } from '../../tasks/spanet/split';
import { BatchReader } from './reader';
import type { SpanetPayload } from './spanetReader';
import type { BatchSource, EntryReader } from './types';

/** The statistics pass's result: small (typed arrays of a few columns), sent to the training worker with the ports. */
export interface SpanetStreamSetup {
  spec: EventSpec;
  statistics: SpanetStatistics;
  /** training events (the training range's end, or the size of dataset_randomization's training set) */
  trainEvents: number;
}

/**
 * dataset_randomization applies to upstream's split of one file; with a validation file or an
 * explicit split there is no such split, so a seed is refused rather than silently ignored.
 */
export function refuseRandomization(c: Pick<SpanetConfig, 'datasetRandomization'>, why: string): void {
  if (c.datasetRandomization > 0)
    throw new Error(
      `dataset_randomization ${c.datasetRandomization}: permutes the events before upstream's split of one file, ` +
        `but this stream has ${why}; set dataset_randomization to 0 (options file, optionsOverrides or the datasetRandomization field)`,
    );
}

/**
 * The stream settings of a SPANet run: the options file's batch_size (unless `batch` is
 * given), and without a validation file or an explicit split, upstream's ranges.
 */
export function spanetStreamSettings(
  trainEntries: number,
  config: Record<string, unknown>,
  s: Omit<StreamSettings, 'batch'> & { batch?: number },
  o: { validationFile: boolean; split?: number },
): StreamSettings {
  const c = spanetStreamConfig(config);
  const ranges = !o.validationFile && o.split === undefined ? spanetRanges(trainEntries, config) : null;
  return {
    ...s,
    batch: s.batch ?? c.batchSize,
    trainFraction: ranges ? ranges.trainEvents / ranges.endEvent : (o.split ?? s.trainFraction),
    entries: ranges ? Math.min(ranges.endEvent, s.entries ?? Infinity) : s.entries,
  };
}

/** A SPANet stream's entry orders, its statistics pass and which of the pass's events train. */
export interface SpanetStreamOrders {
  settings: StreamSettings;
  orders: Partial<Record<Role, OrderOptions>>;
  /** the statistics pass reads events [0, passEnd) of the training file */
  passEnd: number;
  /** the pass's first `train` events train, or (dataset_randomization) this sorted entry set */
  train: number | Uint32Array;
}

/**
 * The orders of a SPANet stream. With dataset_randomization > 0 (one file, upstream's split)
 * the training and validation ranges are entry sets of numpy's RandomState(seed).permutation
 * of the file's events, each sorted, as the in-memory run's (split.ts eventOrder): training
 * visits its set shuffled per epoch, validation in file order, the statistics pass reads the
 * file in order and counts the set's events as training.
 */
export function spanetStreamOrders(
  counts: { train: number; validation?: number; test?: number },
  config: Record<string, unknown>,
  s: Omit<StreamSettings, 'batch'> & { batch?: number },
  o: { validationFile: boolean; split?: number },
): SpanetStreamOrders {
  const c = spanetStreamConfig(config);
  if (o.validationFile) refuseRandomization(c, 'a validation file');
  else if (o.split !== undefined) refuseRandomization(c, `an explicit split (${o.split})`);
  const settings = spanetStreamSettings(counts.train, config, s, o);
  const orders = planOrders(counts, settings);
  const passEnd = Math.min(counts.train, s.entries ?? Infinity);
  if (!(c.datasetRandomization > 0)) return { settings, orders, passEnd, train: orders.train!.range.end };
  const { trainEvents, endEvent } = splitRanges(passEnd, c.testFraction, c.datasetLimit);
  const order = eventOrder(passEnd, c.datasetRandomization, trainEvents, endEvent);
  const train = Uint32Array.from(order.subarray(0, trainEvents));
  const validation = Uint32Array.from(order.subarray(trainEvents, endEvent));
  const all = { start: 0, end: passEnd };
  orders.train = { ...orders.train!, range: all, set: train };
  orders.validation = { ...orders.validation!, range: all, set: validation };
  return { settings, orders, passEnd, train };
}

/** The sequential pass over events [0, passEnd) of the training file, in slices. */
export function statisticsSource(reader: EntryReader<SpanetPayload>, passEnd: number): BatchSource<SpanetPayload> {
  return new BatchReader(
    reader,
    new EntryOrder({ range: { start: 0, end: passEnd }, shuffle: false, batch: SPANET_STATS_SLICE, epochs: 1 }),
    { prefetch: 1 },
  );
}

/** The event description (the event file, else inferred from the pass's first slice) and the statistics of the training events. */
export async function spanetSetup(
  source: BatchSource<SpanetPayload>,
  c: SpanetConfig,
  train: number | Uint32Array,
  onProgress?: (done: number, total: number) => void,
): Promise<SpanetStreamSetup> {
  let spec: EventSpec;
  const skippedBefore: SpanetStatistics['leftOut'] = [];
  if (c.eventYaml.trim()) spec = parseEventFile(c.eventYaml);
  else {
    source.restart();
    const first = await nextReadable(source, 0, (b) => skippedBefore.push(b));
    if (!first?.payload.nEvents) throw new Error(`${source.stats().file}: no events to infer the event description from`);
    const t = first.payload;
    spec = inferEventSpec(tablesLayout(t), (s, f) => sampleValues(t, s, f));
  }
  const statistics = await spanetStatistics(source, spec, train, onProgress, skippedBefore);
  return { spec, statistics, trainEvents: statistics.trainEvents };
}

/** The data worker's pass: a statistics source over the training file, closed when done. */
export async function spanetSetupFromReader(
  reader: EntryReader<SpanetPayload>,
  config: Record<string, unknown>,
  passEnd: number,
  train: number | Uint32Array,
  onProgress?: (done: number, total: number) => void,
): Promise<SpanetStreamSetup> {
  const source = statisticsSource(reader, passEnd);
  try {
    return await spanetSetup(source, spanetStreamConfig(config), train, onProgress);
  } finally {
    source.close();
  }
}
