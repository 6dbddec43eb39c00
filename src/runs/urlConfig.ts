/**
 * The run config in the URL hash, readable as TF Playground's:
 *   #task=toy-mlp&hidden=32&lr=0.01&steps=500
 * Only what differs from the task's defaults is written; config keys are bare, optimizer keys
 * take an "opt." prefix when they would clash with a config key. The data file is not part of
 * the URL (it is the user's local file).
 */
import { DEFAULT_OPTIMIZER, type OptimizerConfig } from '../train/optimConfig';
import { defaultRunConfig, parseRunConfig, type RunConfig, type RunTask } from '../train/runConfig';

const LOOP_KEYS = ['steps', 'eval_every', 'read_every', 'accumulate'] as const;

export function encodeRunHash(rc: RunConfig, tasks: readonly RunTask[]): string {
  const task = tasks.find((t) => t.id === rc.task);
  if (!task) return '';
  const d = defaultRunConfig(task);
  const q = new URLSearchParams({ task: rc.task });
  for (const [k, v] of Object.entries(rc.config)) if (v !== d.config[k]) q.set(k, String(v));
  for (const [k, v] of Object.entries(rc.optimizer)) {
    if (v !== d.optimizer[k as keyof OptimizerConfig]) q.set(k in rc.config || (LOOP_KEYS as readonly string[]).includes(k) ? `opt.${k}` : k, String(v));
  }
  for (const k of LOOP_KEYS) if (rc[k] !== d[k]) q.set(k, String(rc[k]));
  return `#${q.toString()}`;
}

/** The run a hash describes (validated as a RUN.json), or null when it names no task. */
export function decodeRunHash(hash: string, tasks: readonly RunTask[]): RunConfig | null {
  const q = new URLSearchParams(hash.replace(/^#/, ''));
  const id = q.get('task');
  if (!id) return null;
  const task = tasks.find((t) => t.id === id);
  if (!task) throw new Error(`the link names an unknown task "${id}"`);
  const typed = (v: string, like: unknown) => (typeof like === 'number' ? Number(v) : typeof like === 'boolean' ? v === 'true' : v);
  const config: Record<string, unknown> = {};
  const optimizer: Record<string, unknown> = {};
  const top: Record<string, unknown> = { task: id };
  for (const [k, v] of q) {
    if (k === 'task') continue;
    if (k.startsWith('opt.')) optimizer[k.slice(4)] = typed(v, DEFAULT_OPTIMIZER[k.slice(4) as keyof OptimizerConfig]);
    else if (k in task.defaults) config[k] = typed(v, task.defaults[k]);
    else if ((LOOP_KEYS as readonly string[]).includes(k)) top[k] = Number(v);
    else if (k in DEFAULT_OPTIMIZER) optimizer[k] = typed(v, DEFAULT_OPTIMIZER[k as keyof OptimizerConfig]);
    else throw new Error(`the link has an unknown setting "${k}"`);
  }
  return parseRunConfig({ ...top, config, optimizer }, tasks, 'the link');
}
