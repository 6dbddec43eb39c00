/// <reference lib="webworker" />
// The training worker: owns the GPU device, the task and the trainer, so the page never
// blocks on training. The page talks to it through train/protocol.ts messages.
import { createGpuContext } from '../../gpu/context';
import { profileStep } from '../../gpu/profiler';
import { decodeStateDict, encodeSafetensors } from '../../export/safetensors';
import { StateDictError } from '../../nn/module';
import { findTask } from '../../tasks';
import { resolveFileData } from '../../tasks/fromFile/convert';
import { isPortStreamData, streamDataFromPorts } from '../../data/stream/portData';
import { StreamMeter } from '../../data/stream/meter';
import { Engine } from '../../tensor/engine';
import type { FromWorker, RunState, ToWorker, TrainSettings, WeightsReport } from '../protocol';
import { Trainer } from '../trainer';
import { WorkerCheckpoints } from './checkpointing';

const scope = self as unknown as DedicatedWorkerGlobalScope;
let engine: Engine | null = null;
let trainer: Trainer | null = null;
let settings: TrainSettings | null = null;
let taskId = '';
let state: RunState = 'idle';
let lastEvalStep = 0;
const checkpoints = new WorkerCheckpoints((m) => post(m));
/** Streamed runs: rates of the stream line (src/data/stream/meter.ts). */
let meter = new StreamMeter();
/** The created run trains from ports (a task may define streamStats without a stream). */
let streamed = false;

function post(msg: FromWorker, transfer: Transferable[] = []): void {
  scope.postMessage(msg, transfer);
}

function setState(s: RunState): void {
  state = s;
  post({ type: 'state', state: s, step: trainer?.step ?? 0 });
}

/** Sends the device's errors, with their kernels, to the page's error list. */
function forwardGpuErrors(): void {
  if (!engine) return;
  const { errors, dropped } = engine.gpu.takeErrorBatch();
  if (errors.length || dropped) post({ type: 'gpuErrors', errors, dropped });
}

function fail(err: unknown, fatal = false): void {
  post({ type: 'error', message: err instanceof Error ? err.message : String(err), fatal });
}

async function evaluate(): Promise<void> {
  if (!trainer) return;
  lastEvalStep = trainer.step;
  const result = await trainer.evaluate();
  checkpoints.noteTest(result.scalars);
  post({ type: 'eval', step: trainer.step, result });
  forwardGpuErrors();
}

/** Streamed runs: the stream line's numbers (after create, each chunk of steps, an evaluation). */
function postStreamProgress(): void {
  const run = trainer?.run;
  if (!streamed || !run?.streamStats) return;
  const stats = run.streamStats();
  post({ type: 'streamProgress', progress: { stats, ...meter.finish(stats, performance.now()) } });
}

/** A streamed batch that could not be read: the page offers to skip the entry and continue. */
function postDataError(t: Trainer): void {
  const d = t.pauseReason?.data;
  if (!d) return;
  post({ type: 'dataError', step: t.step, file: d.file, dataset: d.dataset, entry: d.entry, message: t.pauseReason!.message });
}

function onPoints(points: import('../trainer').MetricPoint[]): void {
  meter.points(points);
  if (points.length) checkpoints.noteTrain(points[points.length - 1].values);
  if (points.length) post({ type: 'metrics', points });
}

async function runLoop(maxSteps: number): Promise<void> {
  if (!trainer || !settings) return;
  const t = trainer;
  const s = settings;
  const end = maxSteps > 0 ? t.step + maxSteps : Infinity;
  while (state === 'running' && t.step < end) {
    const chunk = Math.min(s.readEvery, end - t.step);
    if (streamed && t.run.streamStats) meter.start(t.run.streamStats(), performance.now());
    await t.runSteps(chunk, onPoints, () => state !== 'running');
    postStreamProgress();
    // optimizer.max_skipped_steps non-finite steps in a row: the Trainer stopped itself (the
    // weights are those before the first skipped step).
    if (t.pauseReason) {
      if (state === 'running') setState('paused');
      postDataError(t);
      fail(t.pauseReason.message);
      break;
    }
    forwardGpuErrors();
    if (s.evalEvery > 0 && t.step - lastEvalStep >= s.evalEvery) await evaluate();
    checkpoints.maybe(t);
    // Let pause / export messages in.
    await new Promise((r) => setTimeout(r, 0));
  }
}

async function handle(msg: ToWorker): Promise<void> {
  switch (msg.type) {
    case 'init': {
      const ctx = await createGpuContext(scope.navigator.gpu);
      engine = new Engine(ctx);
      ctx.lost.then((e) => {
        setState('error');
        fail(e, true);
      });
      post({ type: 'ready', adapter: ctx.adapter });
      return;
    }
    case 'create': {
      if (!engine) throw new Error('the GPU is not initialised');
      setState('creating');
      trainer?.dispose();
      trainer = null;
      checkpoints.detach();
      // The old model's buffers would otherwise stay in the pool for the whole session.
      engine?.gpu.releaseMemory();
      const def = findTask(msg.taskId);
      post({ type: 'progress', what: `building ${def.label}`, fraction: 0 });
      // streamed data arrives as MessagePorts served by the data worker (src/data/stream/portData.ts)
      const data = msg.data ? (isPortStreamData(msg.data) ? streamDataFromPorts(msg.data) : resolveFileData(msg.data)) : undefined;
      const run = await def.create(engine, { ...def.defaults, ...msg.config }, data);
      settings = msg.settings;
      taskId = msg.taskId;
      // totalSteps: schedules with decay_steps 0 decay over the step limit.
      try {
        trainer = new Trainer(engine, run, msg.settings.optimizer, msg.settings.readEvery, msg.settings.accumulate, {
          totalSteps: msg.settings.maxSteps,
        });
      } catch (err) {
        run.dispose(); // bad optimiser settings (e.g. a decaying schedule without a length)
        throw err;
      }
      lastEvalStep = 0;
      meter = new StreamMeter();
      streamed = isPortStreamData(msg.data);
      postStreamProgress();
      const parameterCount = run.parameters().reduce((s, p) => s + p.size, 0);
      post({ type: 'progress', what: 'ready', fraction: 1 });
      post({ type: 'created', description: run.describe(), parameterCount });
      setState('ready');
      await evaluate();
      return;
    }
    case 'start': {
      if (!trainer || state === 'running') return;
      setState('running');
      await runLoop(settings?.maxSteps ?? 0);
      // A pause message may have changed the state while the loop awaited.
      if ((state as RunState) === 'running') setState('paused');
      await evaluate();
      if (trainer) checkpoints.now(trainer); // on pause
      return;
    }
    case 'pause':
      if (state === 'running') setState('paused');
      return;
    case 'skipEntry': {
      if (!trainer?.run.skipEntry) throw new Error('this run does not stream its data: there is no entry to skip');
      if (state === 'running') throw new Error('pause training before skipping an entry');
      trainer.run.skipEntry(msg.entry);
      meter.resume();
      return;
    }
    case 'evaluateTest': {
      if (!trainer) throw new Error('create the model first');
      if (state === 'running') throw new Error('pause training before evaluating on the test file');
      if (!trainer.run.evaluateTest)
        throw new Error(`the task ${taskId} has no test file to evaluate on (assign a file the test role and create the model again)`);
      post({ type: 'progress', what: 'evaluating on the test file', fraction: 0 });
      try {
        const result = await trainer.run.evaluateTest();
        post({ type: 'testEval', step: trainer.step, result });
      } finally {
        post({ type: 'progress', what: 'evaluated', fraction: 1 });
      }
      forwardGpuErrors();
      return;
    }
    case 'step': {
      if (!trainer || state === 'running') return;
      setState('running');
      await runLoop(msg.n);
      setState('paused');
      await evaluate();
      if (trainer) checkpoints.now(trainer);
      return;
    }
    case 'track':
      if (trainer) checkpoints.track(trainer, msg.runId, msg.run, msg.policy);
      return;
    case 'restore': {
      if (!trainer) throw new Error('create the model before restoring a checkpoint');
      const step = await checkpoints.restore(trainer, msg.runId, msg.run, msg.policy);
      lastEvalStep = step;
      post({ type: 'restored', runId: msg.runId, step });
      setState('paused');
      await evaluate();
      return;
    }
    case 'profile': {
      if (!trainer || !engine || state === 'running') return;
      const t = trainer;
      setState('running');
      try {
        const profile = await profileStep(engine.gpu, () => t.runSteps(1, onPoints));
        post({ type: 'profiled', profile });
      } finally {
        setState('paused');
      }
      return;
    }
    case 'checkpoint':
      if (trainer && state !== 'running') checkpoints.now(trainer);
      return;
    case 'evaluate':
      await evaluate();
      return;
    case 'export': {
      if (!trainer) throw new Error('nothing to export: create a model first');
      post({ type: 'progress', what: `exporting ${msg.format}`, fraction: 0 });
      const run = trainer.run;
      let bytes: Uint8Array;
      let note: string | undefined;
      if (msg.format === 'onnx') {
        if (!run.exportOnnx) throw new Error(`the task ${taskId} cannot export ONNX yet`);
        bytes = await run.exportOnnx();
        note = run.lastOnnxCheck ?? undefined;
      } else {
        // The full state dict (running statistics and I64 counters included), as torch saves it.
        const weights = run.model ? await run.model.stateDict() : await run.namedWeights?.();
        if (!weights) throw new Error(`the task ${taskId} cannot export weights`);
        bytes = encodeSafetensors(weights, { task: taskId, step: String(trainer.step), format: 'pt' });
      }
      post({ type: 'progress', what: 'exported', fraction: 1 });
      post({ type: 'exported', format: msg.format, bytes, name: `${taskId}-step${trainer.step}.${msg.format}`, note }, [bytes.buffer]);
      return;
    }
    case 'loadWeights': {
      const report = loadWeights(msg.name, msg.bytes);
      post({ type: 'weightsLoaded', report });
      // The test metrics of the loaded weights, so the chart shows where training resumes.
      if (report.ok) await evaluate();
      return;
    }
    case 'dispose':
      trainer?.dispose();
      trainer = null;
      // The old model's buffers would otherwise stay in the pool for the whole session.
      engine?.gpu.releaseMemory();
      setState('idle');
      return;
  }
}

/** Strict load into the created model; a mismatch loads nothing and lists the keys. */
function loadWeights(name: string, bytes: Uint8Array): WeightsReport {
  const none = { name, ok: false, loaded: 0, missing: [], unexpected: [], mismatched: [] };
  if (!trainer) return { ...none, problem: 'create the model first' };
  if (state === 'running') return { ...none, problem: 'pause training first' };
  const model = trainer.run.model;
  if (!model) return { ...none, problem: `the task ${taskId} cannot load weights yet` };
  try {
    const report = model.loadStateDict(decodeStateDict(bytes, name).state, { strict: true });
    return { name, ok: true, ...report };
  } catch (err) {
    if (err instanceof StateDictError) return { name, ok: false, ...err.report, loaded: 0 };
    return { ...none, problem: err instanceof Error ? err.message : String(err) };
  }
}

// Messages run one at a time, except that pause must reach a running loop: it is handled
// immediately, everything else queues behind the current message.
let queue = Promise.resolve();
scope.onmessage = (ev: MessageEvent<ToWorker>) => {
  const msg = ev.data;
  if (msg.type === 'pause') {
    void handle(msg);
    return;
  }
  queue = queue
    .then(() => handle(msg))
    .catch((err) => {
      if (state === 'running' || state === 'creating') setState(trainer ? 'paused' : 'idle');
      fail(err);
    });
};
