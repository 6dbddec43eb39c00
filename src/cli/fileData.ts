/**
 * A data file on disk → task data, through the same steps as the app: detect the kind,
 * list the training options (tasks/fromFile/options), read what the chosen option needs
 * (tasks/fromFile/load) and convert it (tasks/fromFile/convert). The app does the reads in
 * its data worker; here a FileSessions in this process answers the same calls.
 */
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import type { JaggedSetsLayout } from '../data/generic/sets';
import { openNodeH5 } from '../data/h5/node';
import type { DataWorkerClient } from '../data/worker/client';
import { FileSessions } from '../data/worker/session';
import { resolveFileData } from '../tasks/fromFile/convert';
import { loadTaskData } from '../tasks/fromFile/load';
import { trainingOptions } from '../tasks/fromFile/options';
import type { TaskConfig, TaskData } from '../tasks/types';
import { capOption, DEFAULT_STREAM_BATCH, optionId, pickOption, RunConfigError, type RunConfig } from '../train/runConfig';
import { entryReaderFor, planOrders, scanClasses, STREAMABLE, streamable, type Role } from '../data/stream/plan';
import { EntryOrder } from '../data/stream/order';
import { BatchReader } from '../data/stream/reader';
import type { BatchSource, EntryReader } from '../data/stream/types';
import type { SetsStreamData } from '../tasks/deepsets/stream';
import type { HitsStreamData } from '../tasks/clustering/stream';
import type { PlanesStreamData } from '../tasks/cosmic/stream';
import { pathProblem } from './inspect';
import type { SpanetPayload } from '../data/stream/spanetReader';
import type { SpanetStreamData } from '../tasks/spanet/stream';
import { spanetStreamOrders, statisticsSource } from '../data/stream/spanetPlan';

/** The subset of DataWorkerClient that loadTaskData calls, answered in-process. */
function localClient(sessions: FileSessions): DataWorkerClient {
  const client = {
    readEntries: async (id: string, product: string, producer: string, r: { start: number; end: number }) =>
      sessions.readEntries(id, product, producer, r.start, r.end),
    readSpanet: async (id: string, r: { start: number; end: number }) => sessions.readSpanet(id, r.start, r.end),
    readSets: async (id: string, layout: JaggedSetsLayout, target: string) => sessions.readSets(id, layout, target),
    readHits: async (id: string, layout: JaggedSetsLayout, idColumn: string) => sessions.readHits(id, layout, idColumn),
  };
  return client as unknown as DataWorkerClient;
}

export interface FileData {
  data: TaskData;
  /** e.g. "hits_demo.h5: cluster the hits of 40 events … [generic-hits:/events/offsets:object_id]" */
  label: string;
  option: string;
}

export async function loadFileData(path: string, run: Pick<RunConfig, 'task' | 'data'>, source = 'RUN.json'): Promise<FileData> {
  const problem = pathProblem(path);
  if (problem) throw new Error(`data.train: ${path}: ${problem}`);
  const name = basename(path);
  const sessions = new FileSessions();
  const id = 'f1';
  const opened = sessions.add(id, await openNodeH5(path), statSync(path).size, true);
  try {
    const option = capOption(pickOption(trainingOptions(opened.summary, opened.tree), run, name, source), run.data.entries, source);
    const payload = await loadTaskData(localClient(sessions), id, name, option);
    return { data: resolveFileData(payload), label: `${name}: ${option.title}`, option: optionId(option) };
  } finally {
    sessions.close(id);
  }
}

/**
 * Streams for `physml train` (data.stream, or a validation / test file): the option is chosen
 * on the training file as above, the validation and test files must offer the same option,
 * and each role's BatchReader reads from disk batch by batch (nothing is loaded whole).
 * Cosmic tagging streams `config.batchSize` events per batch unless data.batch is given.
 * The returned close() closes the files once training is done.
 */
export async function streamFileData(
  run: Pick<RunConfig, 'task' | 'data' | 'seed'> & { config?: TaskConfig },
  source = 'RUN.json',
): Promise<FileData & { close: () => void }> {
  const d = run.data;
  const open = async (role: Role, path: string) => {
    const problem = pathProblem(path);
    if (problem) throw new Error(`data.${role}: ${path}: ${problem}`);
    const sessions = new FileSessions();
    const opened = sessions.add(role, await openNodeH5(path), statSync(path).size, true);
    return { name: basename(path), src: sessions.get(role), opened, close: () => sessions.close(role) };
  };
  const files: Partial<Record<Role, Awaited<ReturnType<typeof open>>>> = {};
  try {
    files.train = await open('train', d.train!);
    const option = pickOption(trainingOptions(files.train.opened.summary, files.train.opened.tree), run, files.train.name, source);
    if (!streamable(option.request))
      throw new RunConfigError(
        'data.stream',
        `option "${optionId(option)}" does not stream yet (streaming: ${STREAMABLE.join(', ')})`,
        source,
      );
    const readers: Partial<Record<Role, EntryReader<unknown>>> = { train: entryReaderFor(files.train.src, option.request) };
    for (const role of ['validation', 'test'] as const) {
      const path = d[role];
      if (path === undefined) continue;
      const f = (files[role] = await open(role, path));
      const same = trainingOptions(f.opened.summary, f.opened.tree).find((o) => optionId(o) === optionId(option));
      if (!same)
        throw new RunConfigError(`data.${role}`, `${f.name} does not offer the training file's option "${optionId(option)}"`, source);
      readers[role] = entryReaderFor(f.src, same.request);
    }
    const r = option.request;
    const counts = { train: readers.train!.entries, validation: readers.validation?.entries, test: readers.test?.entries };
    const common = { seed: run.seed, evalEntries: d.eval_entries, entries: d.entries };
    // SPANet: the options file's batch_size and, without a validation file or data.split, upstream's ranges and dataset_randomization (spanetPlan.ts, as the app)
    const sp =
      r.kind === 'spanet-events'
        ? spanetStreamOrders(counts, run.config ?? {}, { ...common, batch: d.batch }, { validationFile: !!d.validation, split: d.split })
        : null;
    const settings = sp?.settings ?? {
      ...common,
      // cosmic events: the task's own batch size unless data.batch is given
      batch:
        d.batch ?? (r.kind === 'larcv3-segmentation' ? Number(run.config?.batchSize ?? 0) || undefined : undefined) ?? DEFAULT_STREAM_BATCH,
      trainFraction: d.split,
    };
    const batch = settings.batch;
    const orders = sp?.orders ?? planOrders(counts, settings);
    const reader = <P>(role: Role): BatchSource<P> | undefined => {
      const r = readers[role] ?? (role === 'validation' ? readers.train : undefined);
      const o = orders[role];
      return r && o ? (new BatchReader(r, new EntryOrder(o), { prefetch: d.prefetch ?? 3 }) as BatchSource<P>) : undefined;
    };
    const label = `${files.train.name}: ${option.title}`;
    let data: TaskData;
    if (r.kind === 'generic-sets') {
      const classes = r.targetKind === 'classification' ? scanClasses(files.train.src, r.target) : undefined;
      data = {
        kind: 'sets-stream',
        train: reader('train')!,
        validation: reader('validation'),
        test: reader('test'),
        targetKind: r.targetKind,
        classes,
        label,
      } satisfies SetsStreamData;
    } else if (r.kind === 'spanet-events') {
      // the statistics: one sequential pass over the training file's events in slices
      const stats = statisticsSource(readers.train as EntryReader<SpanetPayload>, sp!.passEnd);
      let shown = -1;
      data = {
        kind: 'spanet-stream',
        train: reader('train')!,
        stats,
        validation: reader('validation'),
        test: reader('test'),
        ...(typeof sp!.train === 'number' ? { trainEvents: sp!.train } : { trainSet: sp!.train }),
        label,
        onProgress: (done, total) => {
          const pct = Math.floor((100 * done) / Math.max(1, total) / 10) * 10;
          if (pct !== shown) process.stderr.write(`statistics pass: ${done} / ${total} events\n`);
          shown = pct;
        },
      } satisfies SpanetStreamData;
    } else if (r.kind === 'larcv3-segmentation') {
      data = {
        kind: 'planes-stream',
        train: reader('train')!,
        validation: reader('validation'),
        test: reader('test'),
        label,
      } satisfies PlanesStreamData;
    } else {
      data = {
        kind: 'hits-stream',
        train: reader('train')!,
        validation: reader('validation'),
        test: reader('test'),
        label,
      } satisfies HitsStreamData;
    }
    const roles = (Object.keys(files) as Role[]).map((k) => `${k} ${files[k]!.name}`).join(', ');
    return {
      data,
      option: optionId(option),
      label: `${label}; streaming (${roles}; batch ${batch}${d.validation ? '' : `, split ${d.split ?? 0.95}`})`,
      close: () => Object.values(files).forEach((f) => f?.close()),
    };
  } catch (e) {
    Object.values(files).forEach((f) => f?.close());
    throw e;
  }
}
