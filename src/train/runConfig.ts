/**
 * RUN.json: the run description the UI saves and loads and `physml train` runs.
 *   {"task", "config": {task options, same keys as the form}, "optimizer": {...},
 *    "data": {"train", "validation"?, "test"?, "option"?, "entries"?, "stream"?, "batch"?, "split"?,
 *             "eval_entries"?, "prefetch"?}, "seed", "steps", "eval_every", ...}
 * Omitted keys take the task's defaults; unknown keys are an error naming the key.
 * Pure (no engine imports): the page, the worker and the CLI share it.
 */
import type { TrainingOption } from '../tasks/fromFile/options';
import type { ConfigField, TaskConfig, TaskDefinition } from '../tasks/types';
import { DEFAULT_OPTIMIZER, type OptimizerConfig, type OptimizerName, type ScheduleName } from './optimConfig';

export interface RunDataConfig {
  /** Path (CLI) or loaded file name (UI) of the training file; omitted: the task's built-in data. */
  train?: string;
  validation?: string;
  test?: string;
  /** Which of the file's training options (the "Train on this file" choice), by optionId(). */
  option?: string;
  /** Read at most this many entries / events of the file (lowers the option's own cap). */
  entries?: number;
  /**
   * Stream batches from the files instead of loading the data whole (src/data/stream); on
   * whenever a validation or test file is given.
   */
  stream?: boolean;
  /** Streaming: entries per training batch (default 32). */
  batch?: number;
  /** Streaming with one file: the fraction of its entries that trains, the rest validates (default 0.95). */
  split?: number;
  /** Streaming: validation entries per evaluation (0 or omitted = the whole validation range). */
  eval_entries?: number;
  /** Streaming: batches read ahead (default 3). */
  prefetch?: number;
}

export const DEFAULT_STREAM_BATCH = 32;

/** Whether a run streams its data (src/data/stream) rather than loading it whole. */
export function streamsData(d: RunDataConfig): boolean {
  return d.train !== undefined && (d.stream === true || d.validation !== undefined || d.test !== undefined);
}

export interface RunConfig {
  name?: string;
  task: string;
  config: TaskConfig;
  optimizer: OptimizerConfig;
  data: RunDataConfig;
  seed: number;
  steps: number;
  eval_every: number;
  /** Steps between metric readbacks. */
  read_every: number;
  /** Micro-batches per optimiser step. */
  accumulate: number;
  /** SPANet's options file and event file (paths; the CLI reads them into config.optionsJson / eventYaml) */
  options_file?: string;
  event_file?: string;
}

/** What the parser needs of a task (TaskDefinition without create). */
export type RunTask = Pick<TaskDefinition, 'id' | 'defaults' | 'fields' | 'optimizer'>;

export const DEFAULT_STEPS = 1000;
export const DEFAULT_EVAL_EVERY = 100;
export const DEFAULT_READ_EVERY = 10;

export class RunConfigError extends Error {
  constructor(
    readonly key: string,
    problem: string,
    source = 'RUN.json',
  ) {
    super(`${source}: ${key ? `${key}: ` : ''}${problem}`);
    this.name = 'RunConfigError';
  }
}

// Records (not arrays) so adding a name to the OptimizerName / ScheduleName unions fails to
// compile here until the parser accepts it.
const OPTIMIZER_NAMES: Record<OptimizerName, true> = { adamw: true, adam: true, sgd: true };
const SCHEDULE_NAMES: Record<ScheduleName, true> = {
  constant: true,
  warmup_linear: true,
  warmup_cosine: true,
  warmup_cosine_restarts: true,
  step: true,
  one_cycle: true,
  cosmictagger: true,
};

type Check =
  | { kind: 'number'; min?: number; max?: number; exclusiveMin?: boolean; exclusiveMax?: boolean }
  | { kind: 'int'; min?: number; max?: number }
  | { kind: 'bool' }
  | { kind: 'string' }
  | { kind: 'select'; options: string[] };

const OPTIMIZER_CHECKS: Record<keyof OptimizerConfig, Check> = {
  name: { kind: 'select', options: Object.keys(OPTIMIZER_NAMES) },
  lr: { kind: 'number', min: 0, exclusiveMin: true },
  weight_decay: { kind: 'number', min: 0 },
  beta1: { kind: 'number', min: 0, max: 1, exclusiveMax: true },
  beta2: { kind: 'number', min: 0, max: 1, exclusiveMax: true },
  eps: { kind: 'number', min: 0, exclusiveMin: true },
  momentum: { kind: 'number', min: 0, max: 1, exclusiveMax: true },
  nesterov: { kind: 'bool' },
  no_decay_bias_norm: { kind: 'bool' },
  schedule: { kind: 'select', options: Object.keys(SCHEDULE_NAMES) },
  warmup_steps: { kind: 'int', min: 0 },
  decay_steps: { kind: 'int', min: 0 },
  min_lr_ratio: { kind: 'number', min: 0, max: 1 },
  cycles: { kind: 'int', min: 1 },
  step_size: { kind: 'int', min: 1 },
  gamma: { kind: 'number', min: 0, exclusiveMin: true },
  clip_norm: { kind: 'number', min: 0 },
  max_skipped_steps: { kind: 'int', min: 0 }, // 0: never pause (skipped steps are still counted)
};

const DATA_CHECKS: Record<keyof RunDataConfig, Check> = {
  train: { kind: 'string' },
  validation: { kind: 'string' },
  test: { kind: 'string' },
  option: { kind: 'string' },
  entries: { kind: 'int', min: 1 },
  stream: { kind: 'bool' },
  batch: { kind: 'int', min: 1 },
  split: { kind: 'number', min: 0, max: 1, exclusiveMin: true, exclusiveMax: true },
  eval_entries: { kind: 'int', min: 0 },
  prefetch: { kind: 'int', min: 0 },
};

const TOP_CHECKS: Record<Exclude<keyof RunConfig, 'config' | 'optimizer' | 'data' | RunFileKey>, Check> = {
  name: { kind: 'string' },
  task: { kind: 'string' },
  seed: { kind: 'int', min: 0 },
  steps: { kind: 'int', min: 0 },
  eval_every: { kind: 'int', min: 0 },
  read_every: { kind: 'int', min: 1 },
  accumulate: { kind: 'int', min: 1 },
};

/**
 * Keys that name upstream SPANet files, read by the CLI (src/cli/runFile.ts) relative to the
 * RUN.json into the config's text fields: options_file → config.optionsJson, event_file →
 * config.eventYaml; "options" (an object of upstream options) → config.optionsOverrides.
 */
const FILE_KEYS = { options_file: 'optionsJson', event_file: 'eventYaml' } as const;
export type RunFileKey = keyof typeof FILE_KEYS;
export const RUN_FILE_KEYS = FILE_KEYS;

const TOP_KEYS = [...Object.keys(TOP_CHECKS), 'config', 'optimizer', 'data', ...Object.keys(FILE_KEYS), 'options'];

const show = (v: unknown) =>
  typeof v === 'string'
    ? JSON.stringify(v)
    : v === null
      ? 'null'
      : Array.isArray(v)
        ? 'an array'
        : typeof v === 'object'
          ? 'an object'
          : String(v);

function expected(c: Check): string {
  const range = (c: { min?: number; max?: number; exclusiveMin?: boolean; exclusiveMax?: boolean }) => {
    const lo = c.min === undefined ? '' : `${c.exclusiveMin ? '>' : '≥'} ${c.min}`;
    const hi = c.max === undefined ? '' : `${c.exclusiveMax ? '<' : '≤'} ${c.max}`;
    return [lo, hi].filter(Boolean).join(' and ');
  };
  switch (c.kind) {
    case 'number':
      return `a number${range(c) ? ` ${range(c)}` : ''}`;
    case 'int':
      return `an integer${range(c) ? ` ${range(c)}` : ''}`;
    case 'bool':
      return 'true or false';
    case 'string':
      return 'a string';
    case 'select':
      return `one of ${c.options.map((o) => JSON.stringify(o)).join(', ')}`;
  }
}

function checkValue(v: unknown, c: Check, key: string, source: string): number | string | boolean {
  const bad = () => new RunConfigError(key, `expected ${expected(c)}, got ${show(v)}`, source);
  switch (c.kind) {
    case 'number':
    case 'int': {
      if (typeof v !== 'number' || !Number.isFinite(v) || (c.kind === 'int' && !Number.isInteger(v))) throw bad();
      const ex: { exclusiveMin?: boolean; exclusiveMax?: boolean } = c.kind === 'number' ? c : {};
      if (c.min !== undefined && (v < c.min || (ex.exclusiveMin && v === c.min))) throw bad();
      if (c.max !== undefined && (v > c.max || (ex.exclusiveMax && v === c.max))) throw bad();
      return v;
    }
    case 'bool':
      if (typeof v !== 'boolean') throw bad();
      return v;
    case 'string':
      if (typeof v !== 'string') throw bad();
      return v;
    case 'select':
      // The form stores selections as strings; numeric options may also be written as numbers.
      if ((typeof v !== 'string' && typeof v !== 'number') || !c.options.includes(String(v))) throw bad();
      return v;
  }
}

function fieldCheck(f: ConfigField): Check {
  switch (f.kind) {
    case 'number':
    case 'int':
      return { kind: f.kind, min: f.min, max: f.max };
    case 'select':
      return { kind: 'select', options: f.options };
    case 'bool':
      return { kind: 'bool' };
    case 'text':
      return { kind: 'string' };
  }
}

/** Checks for every config key of a task: its form fields, and defaults without a field by type. */
function taskChecks(task: RunTask): Record<string, Check> {
  const checks: Record<string, Check> = {};
  for (const [k, v] of Object.entries(task.defaults)) {
    checks[k] = typeof v === 'number' ? { kind: 'number' } : typeof v === 'boolean' ? { kind: 'bool' } : { kind: 'string' };
  }
  for (const f of task.fields) checks[f.key] = fieldCheck(f);
  return checks;
}

function asObject(v: unknown, key: string, source: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new RunConfigError(key, `expected an object, got ${show(v)}`, source);
  return v as Record<string, unknown>;
}

function checkObject(
  obj: Record<string, unknown>,
  checks: Record<string, Check>,
  prefix: string,
  source: string,
): Record<string, number | string | boolean> {
  const out: Record<string, number | string | boolean> = {};
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    const c = checks[k];
    if (!c) throw new RunConfigError(key, `unknown key (allowed: ${Object.keys(checks).join(', ')})`, source);
    out[k] = checkValue(v, c, key, source);
  }
  return out;
}

/** The optimiser settings a task starts from: DEFAULT_OPTIMIZER with the task's lr / weight decay. */
export function taskOptimizer(task: RunTask): OptimizerConfig {
  return {
    ...DEFAULT_OPTIMIZER,
    lr: task.optimizer?.lr ?? DEFAULT_OPTIMIZER.lr,
    weight_decay: task.optimizer?.weightDecay ?? DEFAULT_OPTIMIZER.weight_decay,
  };
}

/** The run a task gets with nothing specified. */
export function defaultRunConfig(task: RunTask): RunConfig {
  const seed = typeof task.defaults.seed === 'number' ? task.defaults.seed : 0;
  return {
    name: task.id,
    task: task.id,
    config: { ...task.defaults },
    optimizer: taskOptimizer(task),
    data: {},
    seed,
    steps: DEFAULT_STEPS,
    eval_every: DEFAULT_EVAL_EVERY,
    read_every: DEFAULT_READ_EVERY,
    accumulate: 1,
  };
}

/**
 * Validates a parsed RUN.json and fills every omitted key with its default. The top-level
 * seed and config.seed are one setting (the tasks seed their weights and data from
 * config.seed): either may be given, and when both are they must agree.
 */
export function parseRunConfig(value: unknown, tasks: readonly RunTask[], source = 'RUN.json'): RunConfig {
  const top = asObject(value, '', source);
  for (const k of Object.keys(top)) {
    if (!TOP_KEYS.includes(k)) throw new RunConfigError(k, `unknown key (allowed: ${TOP_KEYS.join(', ')})`, source);
  }
  if (top.task === undefined) throw new RunConfigError('task', `missing (one of: ${tasks.map((t) => t.id).join(', ')})`, source);
  const scalars = checkObject(Object.fromEntries(Object.entries(top).filter(([k]) => k in TOP_CHECKS)), TOP_CHECKS, '', source);
  const task = tasks.find((t) => t.id === scalars.task);
  if (!task) throw new RunConfigError('task', `unknown task ${show(scalars.task)} (one of: ${tasks.map((t) => t.id).join(', ')})`, source);
  const run = defaultRunConfig(task);

  const config = checkObject(top.config === undefined ? {} : asObject(top.config, 'config', source), taskChecks(task), 'config', source);
  const optimizer = checkObject(
    top.optimizer === undefined ? {} : asObject(top.optimizer, 'optimizer', source),
    OPTIMIZER_CHECKS,
    'optimizer',
    source,
  );
  const data = checkObject(top.data === undefined ? {} : asObject(top.data, 'data', source), DATA_CHECKS, 'data', source);

  const files: Partial<Record<RunFileKey, string>> = {};
  for (const [k, field] of Object.entries(FILE_KEYS) as [RunFileKey, string][]) {
    if (top[k] === undefined) continue;
    if (typeof top[k] !== 'string' || !top[k]) throw new RunConfigError(k, `expected a path, got ${show(top[k])}`, source);
    if (!(field in task.defaults)) throw new RunConfigError(k, `task ${task.id} takes no ${k} (only spanet does)`, source);
    if (typeof config[field] === 'string' && String(config[field]).trim())
      throw new RunConfigError(k, `give either ${k} or config.${field}, not both`, source);
    files[k] = top[k] as string;
  }
  if (top.options !== undefined) {
    const o = asObject(top.options, 'options', source);
    if (!('optionsOverrides' in task.defaults)) throw new RunConfigError('options', `task ${task.id} takes no upstream options`, source);
    if (config.optionsOverrides !== undefined)
      throw new RunConfigError('options', 'give either options or config.optionsOverrides', source);
    config.optionsOverrides = JSON.stringify(o);
  }

  const hasSeedField = 'seed' in task.defaults;
  if (scalars.seed !== undefined && config.seed !== undefined && scalars.seed !== config.seed) {
    throw new RunConfigError('seed', `${scalars.seed} disagrees with config.seed ${config.seed} (give one of them)`, source);
  }
  const seed = (scalars.seed ?? config.seed ?? run.seed) as number;

  return {
    ...run,
    ...scalars,
    name: (scalars.name as string | undefined) ?? run.name,
    seed,
    config: { ...run.config, ...config, ...(hasSeedField ? { seed } : {}) },
    optimizer: { ...run.optimizer, ...optimizer } as OptimizerConfig,
    data: data as RunDataConfig,
    ...files,
  } as RunConfig;
}

/** Parses RUN.json text; JSON syntax errors name the source too. */
export function parseRunJson(text: string, tasks: readonly RunTask[], source = 'RUN.json'): RunConfig {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new RunConfigError('', `not valid JSON (${(err as Error).message})`, source);
  }
  return parseRunConfig(value, tasks, source);
}

/** RUN.json text with the keys in a fixed, readable order. */
export function formatRunJson(run: RunConfig): string {
  const { name, task, config, optimizer, data, seed, steps, eval_every, read_every, accumulate } = run;
  return `${JSON.stringify({ name, task, config, optimizer, data, seed, steps, eval_every, read_every, accumulate }, null, 2)}\n`;
}

/**
 * A stable id for one of a file's training options, used as RUN.json's data.option: the
 * request kind and the datasets / producers it reads.
 */
export function optionId(o: TrainingOption): string {
  const r = o.request;
  switch (r.kind) {
    case 'larcv3-segmentation':
      return `larcv3-segmentation:${r.imageProducer},${r.labelProducer}`;
    case 'larcv3-clusters':
      return `larcv3-clusters:${r.product}/${r.producer}`;
    case 'spanet-events':
      return 'spanet-events';
    case 'spanet-sets':
      return `spanet-sets:${r.source}:${r.targetKind}:${r.target}`;
    case 'generic-sets':
      return `generic-sets:${r.layout.offsets}:${r.target}`;
    case 'generic-hits':
      return `generic-hits:${r.layout.offsets}:${r.idColumn}`;
  }
}

/**
 * The training option of a file that a run asks for: by data.option, or the only option for
 * the run's task. `file` names the file in errors.
 */
export function pickOption(
  options: TrainingOption[],
  run: Pick<RunConfig, 'task' | 'data'>,
  file: string,
  source = 'RUN.json',
): TrainingOption {
  const forTask = options.filter((o) => o.taskId === run.task);
  const list = (os: TrainingOption[]) => os.map((o) => `"${optionId(o)}" (${o.title})`).join('; ');
  if (run.data.option !== undefined) {
    const hit = options.find((o) => optionId(o) === run.data.option);
    if (!hit)
      throw new RunConfigError('data.option', `${file} has no option "${run.data.option}" (options: ${list(options) || 'none'})`, source);
    if (hit.taskId !== run.task)
      throw new RunConfigError('data.option', `"${run.data.option}" trains ${hit.taskId}, not ${run.task}`, source);
    return hit;
  }
  if (forTask.length === 1) return forTask[0];
  if (!forTask.length)
    throw new RunConfigError('data.train', `${file} cannot train ${run.task} (it can train: ${list(options) || 'nothing'})`, source);
  throw new RunConfigError(
    'data.option',
    `${file} offers ${forTask.length} ways to train ${run.task}; choose one: ${list(forTask)}`,
    source,
  );
}

/** The option with its entry / event cap lowered to data.entries. */
export function capOption(o: TrainingOption, entries: number | undefined, source = 'RUN.json'): TrainingOption {
  if (entries === undefined) return o;
  const r = o.request;
  if ('entries' in r) return { ...o, request: { ...r, entries: Math.min(r.entries, entries) } };
  if ('events' in r) return { ...o, request: { ...r, events: Math.min(r.events, entries) } };
  throw new RunConfigError('data.entries', `option "${optionId(o)}" reads every set of the file and takes no entry cap`, source);
}

/** A file the user handed the page: its name (a browser gives no path) and text. */
export interface GivenFile {
  name: string;
  text: string;
}

/** A file a RUN.json names by path that has not been given yet. */
export interface MissingRunFile {
  key: RunFileKey;
  path: string;
  /** the file name a given file must have */
  name: string;
}

/** The last component of a path written with / or \. */
export const baseName = (path: string) => path.split(/[\\/]/).pop() ?? path;

/**
 * Among files chosen together, the RUN.json: the JSON object with a "task" key (an options
 * file has none). Null when none is.
 */
export function findRunJson(files: GivenFile[]): GivenFile | null {
  for (const f of files) {
    try {
      const v = JSON.parse(f.text) as unknown;
      if (v && typeof v === 'object' && !Array.isArray(v) && 'task' in v) return f;
    } catch {
      // not JSON (an event YAML): not the run
    }
  }
  return null;
}

/**
 * A browser cannot open a RUN.json's options_file / event_file by path: the user gives the
 * files, and each goes into its config field (options_file → config.optionsJson, event_file →
 * config.eventYaml) when its name is the path's file name. Returns the run with the given
 * files' keys replaced by their text, and the files still missing.
 */
export function attachRunFiles(rc: RunConfig, files: GivenFile[]): { run: RunConfig; missing: MissingRunFile[] } {
  if (rc.options_file && rc.event_file && baseName(rc.options_file) === baseName(rc.event_file))
    throw new RunConfigError('event_file', `options_file and event_file have the same file name "${baseName(rc.event_file)}": rename one`);
  const run: RunConfig = { ...rc, config: { ...rc.config } };
  const missing: MissingRunFile[] = [];
  for (const [key, field] of Object.entries(FILE_KEYS) as [RunFileKey, string][]) {
    const path = rc[key];
    if (path === undefined) continue;
    const name = baseName(path);
    const hit = files.find((f) => f.name === name);
    if (!hit) {
      missing.push({ key, path, name });
      continue;
    }
    run.config[field] = hit.text;
    delete run[key];
  }
  return { run, missing };
}

/** "options_file ../opts/example.json and event_file ev.yaml" for messages. */
export function describeMissing(missing: MissingRunFile[]): string {
  return missing.map((m) => `${m.key} "${m.path}"`).join(' and ');
}
