/**
 * What a SPANet stream needs before training starts, shared by `physml train`
 * (src/cli/fileData.ts) and the app's data worker (src/data/worker/session.ts), so both
 * stream the same events: the batch size and ranges after the options file (upstream's
 * train_validation_split / dataset_limit without a validation file), the refusal of
 * dataset_randomization, the event description (the event file, or inferred from the
 * file's first slice) and the statistics pass over the training file (streamStats.ts).
 */
import { inferEventSpec, parseEventFile, type EventSpec } from '../../tasks/spanet/eventSpec';
import type { SpanetConfig } from '../../tasks/spanet/spec';
import {
  SPANET_STATS_SLICE,
  spanetRanges,
  spanetStatistics,
  spanetStreamConfig,
  type SpanetStatistics,
} from '../../tasks/spanet/streamStats';
import { sampleValues, tablesLayout } from '../../tasks/spanet/tables';
import { EntryOrder } from './order';
import type { StreamSettings } from './plan';
import { BatchReader } from './reader';
import type { SpanetPayload } from './spanetReader';
import type { BatchSource, EntryReader } from './types';

/** The statistics pass's result: small (typed arrays of a few columns), sent to the training worker with the ports. */
export interface SpanetStreamSetup {
  spec: EventSpec;
  statistics: SpanetStatistics;
  /** the training range's end in the training file */
  trainEvents: number;
}

/**
 * upstream's dataset_randomization permutes the events before the split; a stream takes the
 * split's ranges in file order, so a seed is refused rather than silently ignored.
 */
export function refuseRandomization(c: Pick<SpanetConfig, 'datasetRandomization'>): void {
  if (c.datasetRandomization > 0)
    throw new Error(
      `dataset_randomization ${c.datasetRandomization}: a streamed SPANet run splits the training file in file order and cannot ` +
        'apply the permutation; set dataset_randomization to 0 (options file, optionsOverrides or the datasetRandomization field) ' +
        'to stream, or train on the file loaded whole (physml train without data.stream and role files)',
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
  refuseRandomization(c);
  const ranges = !o.validationFile && o.split === undefined ? spanetRanges(trainEntries, config) : null;
  return {
    ...s,
    batch: s.batch ?? c.batchSize,
    trainFraction: ranges ? ranges.trainEvents / ranges.endEvent : (o.split ?? s.trainFraction),
    entries: ranges ? Math.min(ranges.endEvent, s.entries ?? Infinity) : s.entries,
  };
}

/** The sequential pass over events [0, passEnd) of the training file, in slices. */
export function statisticsSource(reader: EntryReader<SpanetPayload>, passEnd: number): BatchSource<SpanetPayload> {
  return new BatchReader(
    reader,
    new EntryOrder({ range: { start: 0, end: passEnd }, shuffle: false, batch: SPANET_STATS_SLICE, epochs: 1 }),
    { prefetch: 1 },
  );
}

/** The event description (the event file, else inferred from the pass's first slice) and the statistics of events [0, trainEvents). */
export async function spanetSetup(
  source: BatchSource<SpanetPayload>,
  c: SpanetConfig,
  trainEvents: number,
  onProgress?: (done: number, total: number) => void,
): Promise<SpanetStreamSetup> {
  let spec: EventSpec;
  if (c.eventYaml.trim()) spec = parseEventFile(c.eventYaml);
  else {
    source.restart();
    const first = await source.next();
    if (!first?.payload.nEvents) throw new Error(`${source.stats().file}: no events to infer the event description from`);
    const t = first.payload;
    spec = inferEventSpec(tablesLayout(t), (s, f) => sampleValues(t, s, f));
  }
  const statistics = await spanetStatistics(source, spec, trainEvents, onProgress);
  return { spec, statistics, trainEvents };
}

/** The data worker's pass: a statistics source over the training file, closed when done. */
export async function spanetSetupFromReader(
  reader: EntryReader<SpanetPayload>,
  config: Record<string, unknown>,
  passEnd: number,
  trainEvents: number,
  onProgress?: (done: number, total: number) => void,
): Promise<SpanetStreamSetup> {
  const source = statisticsSource(reader, passEnd);
  try {
    return await spanetSetup(source, spanetStreamConfig(config), trainEvents, onProgress);
  } finally {
    source.close();
  }
}
