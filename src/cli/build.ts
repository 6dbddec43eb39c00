/**
 * A RunConfig made real on the Node engine: the task's model and data (built-in, or read
 * from data.train), and optionally weights loaded with the strict state-dict check.
 */
import { readFileSync } from 'node:fs';
import { decodeStateDict } from '../export/safetensors';
import { nodeGpuContext } from '../gpu/node';
import type { LoadReport } from '../nn/module';
import type { StateDict } from '../nn/stateDict';
import { findTask } from '../tasks';
import type { TaskDefinition, TaskRun } from '../tasks/types';
import { Engine } from '../tensor/engine';
import { streamsData, type RunConfig } from '../train/runConfig';
import { loadFileData, streamFileData } from './fileData';
import { pathProblem } from './inspect';

export interface BuiltRun {
  engine: Engine;
  def: TaskDefinition;
  run: TaskRun;
  /** What the model trains on, for the progress output. */
  dataLabel: string;
}

/** `source` names the run file in errors about its data section. */
export async function buildRun(rc: RunConfig, log: (line: string) => void, source = 'RUN.json'): Promise<BuiltRun> {
  for (const k of ['validation', 'test'] as const) {
    if (rc.data[k] !== undefined && rc.data.train === undefined) throw new Error(`data.${k}: a ${k} file needs a data.train file`);
  }
  const def = findTask(rc.task);
  const engine = new Engine(await nodeGpuContext());
  let data;
  let dataLabel = 'built-in data';
  if (streamsData(rc.data)) {
    // validation / test files or data.stream: batches are read from disk as training goes
    const f = await streamFileData(rc, source);
    data = f.data;
    dataLabel = `${f.label} [option ${f.option}]`;
  } else if (rc.data.train !== undefined) {
    log(`reading ${rc.data.train}`);
    const f = await loadFileData(rc.data.train, rc, source);
    data = f.data;
    dataLabel = `${f.label} [option ${f.option}]`;
  }
  log(`building ${def.label}`);
  const run = await def.create(engine, rc.config, data);
  return { engine, def, run, dataLabel };
}

export function readStateDictFile(path: string): StateDict {
  const problem = pathProblem(path);
  if (problem) throw new Error(`${path}: ${problem}`);
  return decodeStateDict(new Uint8Array(readFileSync(path)), path).state;
}

/** Loads a safetensors file into the run's model; every key, shape and dtype must match. */
export function loadWeights(run: TaskRun, taskId: string, path: string): LoadReport {
  if (!run.model) throw new Error(`the task ${taskId} cannot load weights yet (its model is not a Module)`);
  const state = readStateDictFile(path);
  try {
    return run.model.loadStateDict(state, { strict: true });
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`);
  }
}

/** The run's weights as safetensors entries: the model's state dict (or, for a task not yet on Module, its named weights). */
export async function runStateDict(
  run: TaskRun,
  taskId: string,
  warn: (line: string) => void,
): Promise<Parameters<typeof import('../export/safetensors').encodeSafetensors>[0]> {
  if (run.model) return run.model.stateDict();
  if (!run.namedWeights) throw new Error(`the task ${taskId} cannot export weights`);
  warn(`warning: ${taskId} has no Module model yet; writing its named weights (these cannot be loaded back with --weights)`);
  return run.namedWeights();
}

/** Fails on GPU validation errors collected since the last call (Dawn reports them asynchronously). */
export function checkGpuErrors(engine: Engine): void {
  const errors = engine.gpu.takeErrors();
  if (errors.length) throw new Error(`GPU errors:\n${errors.join('\n')}`);
}
