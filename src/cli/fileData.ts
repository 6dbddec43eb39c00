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
import type { TaskData } from '../tasks/types';
import { capOption, optionId, pickOption, type RunConfig } from '../train/runConfig';
import { pathProblem } from './inspect';

/** The subset of DataWorkerClient that loadTaskData calls, answered in-process. */
function localClient(sessions: FileSessions): DataWorkerClient {
  const client = {
    readEntries: async (id: string, product: string, producer: string, r: { start: number; end: number }) => sessions.readEntries(id, product, producer, r.start, r.end),
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
