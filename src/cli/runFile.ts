/** Reading a RUN.json (or a run directory's run.json) from disk for the CLI. */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { TASKS } from '../tasks';
import { parseRunJson, RUN_FILE_KEYS, RunConfigError, type RunConfig, type RunFileKey } from '../train/runConfig';
import { pathProblem } from './inspect';

/**
 * Parses and validates a run file. Data paths inside it are relative to the file's own
 * directory (a RUN.json saved next to its data works from anywhere) and come back absolute.
 */
export function readRunFile(path: string): RunConfig {
  const problem = pathProblem(path);
  if (problem) throw new Error(`${path}: ${problem}`);
  const rc = parseRunJson(readFileSync(path, 'utf8'), TASKS, path);
  const base = dirname(path);
  for (const k of ['train', 'validation', 'test'] as const) {
    const p = rc.data[k];
    if (p !== undefined && !isAbsolute(p)) rc.data[k] = resolve(base, p);
  }
  // SPANet's options / event file: their text goes into the config, so the run.json written
  // with the outputs holds it and repeats the run without the files
  for (const [k, field] of Object.entries(RUN_FILE_KEYS) as [RunFileKey, string][]) {
    const p = rc[k];
    if (p === undefined) continue;
    const file = isAbsolute(p) ? p : resolve(base, p);
    const why = pathProblem(file);
    if (why) throw new RunConfigError(k, `${file}: ${why}`, path);
    rc.config[field] = readFileSync(file, 'utf8');
    delete rc[k];
  }
  return rc;
}
