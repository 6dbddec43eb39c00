/** Spawns the `physml` bin the way a user does (node bin/physml.mjs …), in a chosen directory. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = new URL('../../', import.meta.url).pathname;
export const BIN = join(ROOT, 'bin/physml.mjs');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function physml(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): CliResult {
  // Without the npm variables of whoever runs the tests, so the CLI sees a plain shell call.
  const env = { ...process.env, npm_lifecycle_script: '', INIT_CWD: '', ...opts.env };
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? ROOT,
    env,
    encoding: 'utf8',
    timeout: 90_000,
    maxBuffer: 64 << 20,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function tempDir(prefix = 'physml-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeJson(path: string, value: unknown): string {
  writeFileSync(path, JSON.stringify(value));
  return path;
}

export function readJsonLines(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

/** A toy run small enough for a few seconds on SwiftShader. */
export const TINY_TOY = {
  task: 'toy-mlp',
  name: 'tiny',
  config: { trainSize: 128, testSize: 32, batchSize: 32, hidden: 8, layers: 1 },
  steps: 6,
  eval_every: 3,
  read_every: 2,
};
