/**
 * Checkpoints: everything needed to continue a run exactly, as three files
 *
 *   model.safetensors      the model's state dict (parameters + persistent buffers, their dtypes)
 *   optimizer.safetensors  per parameter and slot "<param>.<slot>" (F32, torch's slot names:
 *                          exp_avg, exp_avg_sq, momentum_buffer), "step" and "skipped_steps"
 *                          (I64), and "guard" (I32: the raw step-guard words — clip factor,
 *                          last norm, skip streak — so even a skip streak continues)
 *   checkpoint.json        CheckpointMeta: step, data position (and a streamed run's
 *                          stream position), schedule position, RNG counters, trainer
 *                          loop state, metrics so far, the run config
 *
 * Writing does not stall training: beginCheckpoint records GPU copies of every state
 * tensor into MAP_READ staging buffers in one command buffer, queue-ordered right after the
 * last step, and returns at once; the mapping resolves while later steps run. The copies see
 * exactly the state after step `step`, however far training has gone when they are read.
 *
 * What makes a resume exact (bitwise on the same device): the tasks draw batch k of a step as
 * batches[k % n] with k = step·accumulate + micro-batch (data built from config.seed), the lr
 * is a pure function of the step, dropout masks are hashed from (module seed, forward count)
 * and those counters are stored, and the kernels are deterministic (no float atomics).
 * A streamed run instead stores where its training stream stands (epoch, position in the
 * seeded shuffle of that epoch, skipped entries; batches read ahead not counted) and seeks
 * there on restore. Validation passes start over at every evaluation: nothing to store.
 */
import { decodeStateDict, encodeSafetensors } from '../export/safetensors';
import type { Module } from '../nn/module';
import { entryFromValues, entryToFloat32, type StateDict, type StateDtype } from '../nn/stateDict';
import type { StreamPosition } from '../data/stream/types';
import type { Tensor } from '../tensor/tensor';
import type { OptimizerState } from './optim';
import type { RunConfig } from './runConfig';
import type { Trainer, TrainerHostState } from './trainer';

export const CHECKPOINT_FORMAT = 'physml-checkpoint';
export const CHECKPOINT_VERSION = 1;
export const CHECKPOINT_FILES = ['model.safetensors', 'optimizer.safetensors', 'checkpoint.json'] as const;

const MAP_READ = 0x1,
  COPY_DST = 0x8,
  MAP_MODE_READ = 0x1;

export interface CheckpointMeta {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  task: string;
  /** Optimiser steps completed: training continues with step `step` (0-based). */
  step: number;
  /** Data order: the next micro-batch index the task draws (tasks use batches[index % n]). */
  position: { micro_batch: number; accumulate: number };
  /** Streamed runs: the training stream's position after the step's batches (absent otherwise). */
  stream?: { train: StreamPosition };
  /** The schedule is lr(step); stored for reading, not needed to restore. */
  schedule: { name: string; step: number; next_lr: number };
  /** Seeds are in the run config; counters are per dropout module: forwards so far. */
  rng: { seed: number; dropout: Record<string, number> };
  trainer: { wall_ms: number; skip_streak: number; last_skipped: number };
  optimizer: { name: string; step: number; skipped_steps: number };
  /** The last train values and test values at or before `step`, and the best test values. */
  metrics: { train: Record<string, number>; test: Record<string, number>; best: Record<string, number> };
  run: RunConfig | null;
  created: string;
}

export interface CheckpointFiles {
  meta: CheckpointMeta;
  model: Uint8Array;
  optimizer: Uint8Array;
}

export interface CheckpointExtra {
  task: string;
  run?: RunConfig | null;
  seed?: number;
  metrics?: Partial<CheckpointMeta['metrics']>;
}

/** Directory name of the checkpoint at a step; zero-padded so names sort by step. */
export const checkpointName = (step: number) => `step-${String(step).padStart(9, '0')}`;

interface Item {
  tensor: Tensor;
  bytes: number;
  staging: number;
  offset: number;
}

/** Dropout-like modules (Dropout, MultiheadAttention) keep a forward counter `step` next to their `seed`. */
function rngModules(model: Module): [string, { step: number }][] {
  const out: [string, { step: number }][] = [];
  for (const [path, m] of model.namedModules()) {
    const r = m as unknown as { step?: unknown; seed?: unknown };
    if (typeof r.step === 'number' && typeof r.seed === 'number') out.push([path || '(root)', r as { step: number }]);
  }
  return out;
}

function gpuOf(trainer: Trainer) {
  const p = trainer.optimizer.params[0];
  if (!p) throw new Error('checkpoint: the model has no parameters');
  return p.tensor.engine.gpu;
}

function requireModel(trainer: Trainer, task: string): Module {
  const model = trainer.run.model;
  if (!model) throw new Error(`the task ${task} cannot checkpoint (its model is not a Module)`);
  return model;
}

/**
 * Records GPU copies of the whole training state and returns without waiting for them.
 * Call between steps (after runSteps returns); the promise resolves with the files.
 */
export function beginCheckpoint(trainer: Trainer, extra: CheckpointExtra): Promise<CheckpointFiles> {
  const model = requireModel(trainer, extra.task);
  const gpu = gpuOf(trainer);
  const opt = trainer.optimizer;
  const host: TrainerHostState = trainer.hostState();
  const layout = model.stateLayout();
  const slots = opt.params.flatMap((p, i) => opt.slotNames.map((s, j) => ({ name: `${p.name}.${s}`, tensor: opt.slotTensors(i)[j] })));
  const dropout = Object.fromEntries(rngModules(model).map(([path, m]) => [path, m.step]));

  // Staging buffers of at most maxBufferSize (capped at 256 MiB) each.
  const cap = Math.min(gpu.device.limits.maxBufferSize, 256 << 20);
  const sizes: number[] = [0];
  const place = (tensor: Tensor | null, bytes: number): Item => {
    if (bytes > cap) throw new Error(`checkpoint: a tensor of ${bytes} bytes exceeds the staging limit ${cap}`);
    if (sizes[sizes.length - 1] + bytes > cap) sizes.push(0);
    const item = { tensor: tensor as Tensor, bytes, staging: sizes.length - 1, offset: sizes[sizes.length - 1] };
    sizes[sizes.length - 1] += bytes;
    return item;
  };
  const modelItems = layout.map(([, { tensor }]) => place(tensor, tensor.size * 4));
  const slotItems = slots.map(({ tensor }) => place(tensor, tensor.size * 4));
  const guardItem = place(null, opt.guard.bytes);

  gpu.submit(); // nothing of a step may be pending in the encoder
  const staging = sizes.map((size, i) =>
    gpu.device.createBuffer({ size: Math.max(4, size), usage: MAP_READ | COPY_DST, label: `checkpoint-staging-${i}` }),
  );
  for (const it of [...modelItems, ...slotItems]) if (it.bytes) gpu.copy(it.tensor.buffer, 0, staging[it.staging], it.offset, it.bytes);
  gpu.copy(opt.guard.buffer, 0, staging[guardItem.staging], guardItem.offset, guardItem.bytes);
  gpu.submit();
  const created = new Date().toISOString();
  const lr = trainer.schedule(host.step);
  // now, between steps: the batches the next steps draw are not handed out yet
  const stream = trainer.run.streamState?.() ?? null;

  return (async () => {
    const data = await Promise.all(
      staging.map(async (b) => {
        await b.mapAsync(MAP_MODE_READ);
        const copy = b.getMappedRange().slice(0);
        b.unmap();
        b.destroy();
        return copy;
      }),
    );
    const bytesOf = (it: Item) => data[it.staging].slice(it.offset, it.offset + it.bytes);
    const state: StateDict = {};
    layout.forEach(([name, { tensor, dtype }], i) => {
      const raw = bytesOf(modelItems[i]);
      const values = tensor.dtype === 'f32' ? new Float32Array(raw) : tensor.dtype === 'i32' ? new Int32Array(raw) : new Uint32Array(raw);
      state[name] = entryFromValues(values, tensor.shape, dtype as StateDtype);
    });
    const guardWords = new Int32Array(bytesOf(guardItem));
    const guardU32 = new Uint32Array(guardWords.buffer);
    const guardF32 = new Float32Array(guardWords.buffer);
    const optStep = guardU32[3];
    const skipped = guardF32[4];
    const optState: StateDict = {
      step: { dtype: 'I64', shape: [1], data: BigInt64Array.of(BigInt(optStep)) },
      skipped_steps: { dtype: 'I64', shape: [1], data: BigInt64Array.of(BigInt(Math.round(skipped))) },
      guard: { dtype: 'I32', shape: [guardWords.length], data: guardWords },
    };
    slots.forEach(({ name, tensor }, i) => {
      optState[name] = { dtype: 'F32', shape: [...tensor.shape], data: new Float32Array(bytesOf(slotItems[i])) };
    });
    const meta: CheckpointMeta = {
      format: CHECKPOINT_FORMAT,
      version: CHECKPOINT_VERSION,
      task: extra.task,
      step: host.step,
      position: { micro_batch: host.step * trainer.accumulate, accumulate: trainer.accumulate },
      ...(stream ? { stream: { train: stream } } : {}),
      schedule: { name: trainer.config.schedule, step: host.step, next_lr: lr },
      rng: { seed: extra.seed ?? extra.run?.seed ?? 0, dropout },
      trainer: { wall_ms: host.activeMs, skip_streak: host.streak, last_skipped: host.lastSkipped },
      optimizer: { name: opt.name, step: optStep, skipped_steps: skipped },
      metrics: { train: {}, test: {}, best: {}, ...extra.metrics },
      run: extra.run ?? null,
      created,
    };
    const md = { format: CHECKPOINT_FORMAT, task: extra.task, step: String(host.step) };
    return {
      meta,
      model: encodeSafetensors(state, { ...md, format: 'pt' }),
      optimizer: encodeSafetensors(optState, { ...md, optimizer: opt.name, slots: opt.slotNames.join(',') }),
    };
  })();
}

/** checkpoint.json text → meta, checked. `source` names the file in errors. */
export function parseCheckpointMeta(text: string, source = 'checkpoint.json'): CheckpointMeta {
  let m: CheckpointMeta;
  try {
    m = JSON.parse(text);
  } catch (err) {
    throw new Error(`${source}: not JSON (${(err as Error).message})`);
  }
  if (m?.format !== CHECKPOINT_FORMAT) throw new Error(`${source}: not a physml checkpoint (format ${JSON.stringify(m?.format)})`);
  if (m.version > CHECKPOINT_VERSION)
    throw new Error(`${source}: checkpoint version ${m.version} is newer than this workbench (${CHECKPOINT_VERSION})`);
  if (!Number.isInteger(m.step) || m.step < 0) throw new Error(`${source}: bad step ${m.step}`);
  return m;
}

export const formatCheckpointMeta = (m: CheckpointMeta) => `${JSON.stringify(m, null, 2)}\n`;

/**
 * Restores a checkpoint into a Trainer that has not trained yet, built for the same task,
 * config and optimiser. Checks every name and size before writing anything.
 */
export function applyCheckpoint(trainer: Trainer, files: CheckpointFiles, source = 'checkpoint'): void {
  const { meta } = files;
  const model = requireModel(trainer, meta.task);
  if (trainer.step !== 0) throw new Error('restore a checkpoint into a fresh Trainer');
  if (meta.position.accumulate !== trainer.accumulate) {
    throw new Error(`${source}: saved with gradient accumulation ${meta.position.accumulate}, this run uses ${trainer.accumulate}`);
  }
  const opt = trainer.optimizer;
  const { state: os, metadata } = decodeStateDict(files.optimizer, `${source}/optimizer.safetensors`);
  if (metadata.optimizer && metadata.optimizer !== opt.name) {
    throw new Error(`${source}: the optimiser state is for ${metadata.optimizer}, this run uses ${opt.name}`);
  }
  const slots: OptimizerState['slots'] = {};
  for (const p of opt.params) {
    slots[p.name] = {};
    for (const s of opt.slotNames) {
      const e = os[`${p.name}.${s}`];
      if (e) slots[p.name][s] = entryToFloat32(e);
    }
  }
  const guard = os.guard;
  if (!guard || guard.dtype !== 'I32' || guard.data.byteLength !== opt.guard.bytes) {
    throw new Error(`${source}/optimizer.safetensors: the guard entry does not fit this model (${opt.guard.bytes} bytes expected)`);
  }
  const asInt = (name: string) => {
    const e = os[name];
    if (!e || e.dtype !== 'I64') throw new Error(`${source}/optimizer.safetensors: missing ${name}`);
    return Number(e.data[0]);
  };
  const known = new Set(['step', 'skipped_steps', 'guard', ...opt.params.flatMap((p) => opt.slotNames.map((s) => `${p.name}.${s}`))]);
  const unexpected = Object.keys(os).filter((k) => !known.has(k));
  if (unexpected.length) throw new Error(`${source}/optimizer.safetensors: unexpected entries ${unexpected.slice(0, 8).join(', ')}`);
  const rng = rngModules(model);
  for (const [path] of rng) {
    if (!(path in meta.rng.dropout)) throw new Error(`${source}: no dropout counter for ${path}`);
  }
  const stream = meta.stream?.train;
  if (stream && !trainer.run.restoreStream) throw new Error(`${source}: the checkpoint has a stream position, this run does not stream`);
  // Before any write: a stream that cannot continue there (another split or batch size) refuses.
  if (stream) {
    try {
      trainer.run.restoreStream!(stream);
    } catch (err) {
      throw new Error(`${source}: cannot continue the training stream: ${(err as Error).message}`);
    }
  }
  const modelState = decodeStateDict(files.model, `${source}/model.safetensors`).state;
  model.loadStateDict(modelState, { strict: true });
  opt.loadState({ name: opt.name, step: asInt('step'), skipped_steps: asInt('skipped_steps'), slots });
  // The raw guard last: it also carries the clip factor, the last norm and the skip streak.
  gpuOf(trainer).write(opt.guard.buffer, guard.data);
  for (const [path, m] of rng) m.step = meta.rng.dropout[path];
  trainer.restoreHostState({
    step: meta.step,
    activeMs: meta.trainer.wall_ms,
    streak: meta.trainer.skip_streak,
    lastSkipped: meta.trainer.last_skipped,
  });
}
