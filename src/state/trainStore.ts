import { create } from 'zustand';
import { appendErrorLines, formatGpuError } from '../train/errorLines';
import { TASK_CATALOG, taskSpec } from '../tasks/catalog';
import type { EvalResult, TaskConfig, TaskData } from '../tasks/types';
import { DEFAULT_OPTIMIZER, type OptimizerConfig } from '../train/optimConfig';
import type { FromWorker, RunState, TrainSettings, WeightsReport } from '../train/protocol';
import { TrainClient } from '../train/worker/client';
import { SeriesColumns } from './seriesColumns';
import { isStreamPlan, openStreamPorts, type StreamInfo } from './dataStore';
import type { StreamProgress } from '../train/protocol';

/** The GPU adapter the worker found (the page takes the type from the protocol, not src/gpu). */
type AdapterSummary = Extract<FromWorker, { type: 'ready' }>['adapter'];

export interface EvalPoint {
  step: number;
  scalars: Record<string, number>;
}

export interface Progress {
  what: string;
  fraction: number;
}

interface TrainState {
  gpu: 'unknown' | 'ready' | 'unavailable';
  adapter: AdapterSummary | null;
  taskId: string;
  config: TaskConfig;
  settings: TrainSettings;
  state: RunState;
  step: number;
  description: string;
  parameterCount: number;
  /** Training scalars by column (mutated in place by appends; `seriesVersion` says when). */
  series: SeriesColumns;
  /** Bumped on every append to `series`: what charts subscribe to. */
  seriesVersion: number;
  /** The latest training point's scalars. */
  lastTrain: Record<string, number>;
  /** Form fields whose typed value breaks their limits (key → message); Create waits for none. */
  fieldErrors: Record<string, string>;
  evals: EvalPoint[];
  lastEval: EvalResult | null;
  stepsPerSecond: number;
  progress: Progress | null;
  errors: string[];
  exported: { name: string; url: string; bytes: number; format: string; note?: string } | null;
  /** Data attached from a loaded file; used when its task is the selected one. */
  data: FileData | null;
  /** The last "Load weights" outcome (cleared by a new model). */
  weights: WeightsReport | null;
  /** Streamed data: the files of the created run's streams, their progress, a bad batch, the test-file result. */
  streamInfo: StreamInfo | null;
  streamProgress: StreamProgress | null;
  dataError: Extract<FromWorker, { type: 'dataError' }> | null;
  testEval: { step: number; result: EvalResult } | null;
  /** Leaves the bad entry of `dataError` out of the training stream and starts training again. */
  skipEntryAndContinue(): void;
  /** One pass over the test file (TaskRun.evaluateTest). */
  evaluateTest(): void;

  connect(): void;
  selectTask(id: string): void;
  setConfig(key: string, value: number | string | boolean): void;
  /** Records (message) or clears (null) a form field's limit violation. */
  setFieldError(key: string, message: string | null): void;
  setSettings(patch: Partial<TrainSettings>): void;
  /** Changes optimiser settings (name, lr, schedule, clipping, …). */
  setOptimizer(patch: Partial<OptimizerConfig>): void;
  setData(data: FileData | null): void;
  /** Sends a .safetensors file to the worker for a strict load into the created model. */
  loadWeights(name: string, bytes: Uint8Array): void;
  create(): void;
  start(): void;
  pause(): void;
  stepOnce(n?: number): void;
  exportModel(format: 'safetensors' | 'onnx'): void;
  dismissError(i: number): void;
  /** Starts a fresh training worker and GPU device (after a device loss or a crash). */
  restart(): void;
}

export interface FileData {
  taskId: string;
  label: string;
  payload: TaskData;
  /** The file and its training option (RUN.json's data.train / data.option). */
  source?: { file: string; option: string };
}

export const DEFAULT_SETTINGS: TrainSettings = {
  optimizer: { ...DEFAULT_OPTIMIZER, lr: 3e-3 },
  readEvery: 10,
  evalEvery: 100,
  maxSteps: 0,
  accumulate: 1,
};

/** The optimiser a task starts from: the defaults with the task's lr and weight decay. */
function taskOptimizer(def: { optimizer?: { lr?: number; weightDecay?: number } }, keep: OptimizerConfig): OptimizerConfig {
  return { ...keep, lr: def.optimizer?.lr ?? DEFAULT_SETTINGS.optimizer.lr, weight_decay: def.optimizer?.weightDecay ?? 0 };
}

let client: TrainClient | null = null;

/** Other stores (runsStore) hear every worker message, after this store has handled it. */
export const workerListeners = new Set<(msg: FromWorker) => void>();

/** Sends a message to the training worker (no-op before connect). */
export function sendToWorker(msg: Parameters<TrainClient['send']>[0]): void {
  client?.send(msg);
}

export const useTrainStore = create<TrainState>((set, get) => {
  const onMessage = (msg: FromWorker) => {
    switch (msg.type) {
      case 'ready':
        set({ gpu: 'ready', adapter: msg.adapter });
        return;
      case 'created':
        set({
          description: msg.description,
          parameterCount: msg.parameterCount,
          series: new SeriesColumns(),
          seriesVersion: 0,
          lastTrain: {},
          evals: [],
          lastEval: null,
          step: 0,
          weights: null,
        });
        return;
      case 'weightsLoaded':
        set({ weights: msg.report });
        return;
      case 'streamProgress':
        set({ streamProgress: msg.progress });
        return;
      case 'dataError':
        set({ dataError: msg });
        return;
      case 'testEval':
        set({ testEval: { step: msg.step, result: msg.result } });
        return;
      case 'state':
        set({ state: msg.state, step: msg.step });
        return;
      case 'metrics': {
        if (!msg.points.length) return;
        const { series, seriesVersion } = get();
        series.append(msg.points);
        const last = msg.points[msg.points.length - 1];
        // Rate over the last ~50 recorded steps.
        const ref = Math.max(0, series.length - 50);
        const dt = (last.wallMs - series.wallMs()[ref]) / 1000;
        const stepsPerSecond = dt > 0 ? (last.step - series.steps()[ref]) / dt : get().stepsPerSecond;
        set({ seriesVersion: seriesVersion + 1, lastTrain: last.values, step: last.step, stepsPerSecond });
        return;
      }
      case 'eval':
        set({
          evals: [...get().evals.filter((e) => e.step !== msg.step), { step: msg.step, scalars: msg.result.scalars }],
          lastEval: msg.result,
        });
        return;
      case 'progress':
        set({ progress: msg.fraction >= 1 ? null : { what: msg.what, fraction: msg.fraction } });
        return;
      case 'exported': {
        const prev = get().exported;
        if (prev) URL.revokeObjectURL(prev.url);
        const url = URL.createObjectURL(new Blob([msg.bytes as BlobPart], { type: 'application/octet-stream' }));
        set({ exported: { name: msg.name, url, bytes: msg.bytes.byteLength, format: msg.format, note: msg.note }, progress: null });
        return;
      }
      case 'error':
        set({
          errors: appendErrorLines(get().errors, [msg.message], 0),
          progress: null,
          ...(msg.fatal ? { state: 'error' as RunState } : {}),
        });
        return;
      case 'gpuErrors':
        set({ errors: appendErrorLines(get().errors, msg.errors.map(formatGpuError), msg.dropped) });
        return;
    }
  };

  const send = (msg: Parameters<TrainClient['send']>[0]) => {
    if (!client) return;
    client.send(msg);
  };

  const first = TASK_CATALOG[0];
  return {
    gpu: 'unknown',
    adapter: null,
    taskId: first.id,
    config: { ...first.defaults },
    settings: { ...DEFAULT_SETTINGS, optimizer: taskOptimizer(first, DEFAULT_SETTINGS.optimizer) },
    state: 'idle',
    step: 0,
    description: '',
    parameterCount: 0,
    series: new SeriesColumns(),
    seriesVersion: 0,
    lastTrain: {},
    fieldErrors: {},
    evals: [],
    lastEval: null,
    stepsPerSecond: 0,
    progress: null,
    errors: [],
    exported: null,
    data: null,
    weights: null,
    streamInfo: null,
    streamProgress: null,
    dataError: null,
    testEval: null,

    connect() {
      if (client) return;
      if (!navigator.gpu) {
        set({ gpu: 'unavailable' });
        return;
      }
      client = new TrainClient();
      client.on(onMessage);
      client.on((msg) => workerListeners.forEach((l) => l(msg))); // after the store's own handling
      client.on((msg) => {
        if (msg.type === 'error' && get().gpu === 'unknown') set({ gpu: 'unavailable' });
      });
      client.send({ type: 'init' });
    },
    selectTask(id) {
      const def = taskSpec(id);
      set({
        taskId: id,
        config: { ...def.defaults },
        fieldErrors: {},
        settings: { ...get().settings, optimizer: taskOptimizer(def, get().settings.optimizer) },
      });
    },
    setConfig(key, value) {
      set({ config: { ...get().config, [key]: value } });
    },
    setFieldError(key, message) {
      const { [key]: _old, ...rest } = get().fieldErrors;
      if (message === null && _old === undefined) return;
      set({ fieldErrors: message === null ? rest : { ...rest, [key]: message } });
    },
    setSettings(patch) {
      set({ settings: { ...get().settings, ...patch } });
    },
    setOptimizer(patch) {
      const settings = get().settings;
      set({ settings: { ...settings, optimizer: { ...settings.optimizer, ...patch } } });
    },
    setData(data) {
      set({ data });
      if (data && data.taskId !== get().taskId) get().selectTask(data.taskId);
    },
    create() {
      const { taskId, config, settings, data, fieldErrors } = get();
      if (Object.keys(fieldErrors).length) return;
      set({ progress: { what: 'building model', fraction: 0 }, streamInfo: null, streamProgress: null, dataError: null, testEval: null });
      const payload = data?.taskId === taskId ? data.payload : undefined;
      if (isStreamPlan(payload)) {
        // fresh streams per Create: ports move to the workers once, and a new model starts at epoch 0
        // SPANet's statistics pass (data worker) shows as the run's progress
        const passProgress = (fraction: number, what: string) => set({ progress: { what, fraction } });
        openStreamPorts(payload, Number(config.seed ?? 0), config, passProgress).then(
          ({ data: ports, transfer, info }) => {
            set({ streamInfo: info });
            client?.send({ type: 'create', taskId, config, settings, data: ports }, transfer);
          },
          (e) =>
            set({
              errors: appendErrorLines(get().errors, [`cannot stream ${payload.label}: ${e instanceof Error ? e.message : String(e)}`], 0),
              progress: null,
            }),
        );
        return;
      }
      send({ type: 'create', taskId, config, settings, data: payload });
    },
    skipEntryAndContinue() {
      const d = get().dataError;
      if (d?.entry === null || d?.entry === undefined) return;
      set({ dataError: null });
      send({ type: 'skipEntry', entry: d.entry });
      send({ type: 'start' });
    },
    evaluateTest() {
      set({ testEval: null });
      send({ type: 'evaluateTest' });
    },
    start: () => send({ type: 'start' }),
    pause: () => send({ type: 'pause' }),
    stepOnce: (n = 1) => send({ type: 'step', n }),
    exportModel: (format) => send({ type: 'export', format }),
    loadWeights(name, bytes) {
      set({ weights: null });
      send({ type: 'loadWeights', name, bytes });
    },
    dismissError(i) {
      set({ errors: get().errors.filter((_, k) => k !== i) });
    },
    restart() {
      client?.terminate();
      client = null;
      set({ gpu: 'unknown', adapter: null, state: 'idle', step: 0, errors: [], progress: null });
      get().connect();
    },
  };
});

// The e2e tests look into the page's stores (e.g. that no streamed data is held there).
if (typeof window !== 'undefined') (window as unknown as { __physmlTrain?: unknown }).__physmlTrain = useTrainStore;
