/** Reading a RUN.json (or a run directory's run.json) from disk for the CLI. */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { TASKS } from '../tasks';
import { parseRunJson, type RunConfig } from '../train/runConfig';
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
  return rc;
}
