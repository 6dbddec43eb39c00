// Messages between the page and the training worker.
import type { AdapterSummary } from '../gpu/context';
import type { GpuErrorRecord } from '../gpu/errorLog';
import type { StepProfile } from '../gpu/profiler';
import type { EvalResult, TaskConfig, TaskData } from '../tasks/types';
import type { OptimizerConfig } from './optimConfig';
import type { MetricPoint } from './trainer';
import type { CheckpointPolicy } from '../runs/checkpointStore';
import type { RunConfig } from './runConfig';
import type { StreamStats } from '../data/stream/types';

export interface TrainSettings {
  /** Optimiser, schedule, clipping and the skipped-step limit (RUN.json's "optimizer"). */
  optimizer: OptimizerConfig;
  /** Steps between metric readbacks. */
  readEvery: number;
  /** Steps between test-set evaluations. */
  evalEvery: number;
  /** Stop after this many steps (0 = run until paused). */
  maxSteps: number;
  /** Micro-batches per optimiser step (gradient accumulation; 1 = off). */
  accumulate: number;
}

export type ToWorker =
  | { type: 'init' }
  | { type: 'create'; taskId: string; config: TaskConfig; settings: TrainSettings; data?: TaskData }
  | { type: 'start' }
  | { type: 'pause' }
  | { type: 'step'; n: number }
  | { type: 'evaluate' }
  | { type: 'export'; format: 'safetensors' | 'onnx' }
  /** Loads a .safetensors state dict into the created model (strict: every key must match). */
  | { type: 'loadWeights'; name: string; bytes: Uint8Array }
  /** Checkpoint the created model into the browser's run folder <runId> (runs/checkpointStore). */
  | { type: 'track'; runId: string; run: RunConfig; policy: CheckpointPolicy }
  /** Loads run <runId>'s newest checkpoint into the created, untrained model, and tracks it. */
  | { type: 'restore'; runId: string; run: RunConfig; policy: CheckpointPolicy }
  /** Writes a checkpoint now (when tracked and not running). */
  | { type: 'checkpoint' }
  /** Runs one training step with GPU timestamps around each dispatch (when not running). */
  | { type: 'profile' }
  /** Streamed data: leave a bad entry out of the training stream (then 'start' continues). */
  | { type: 'skipEntry'; entry: number }
  /** Streamed data with a test file: one pass over it (TaskRun.evaluateTest). */
  | { type: 'evaluateTest' }
  | { type: 'dispose' };

export type RunState = 'idle' | 'creating' | 'ready' | 'running' | 'paused' | 'error';

export type FromWorker =
  | { type: 'ready'; adapter: AdapterSummary }
  | { type: 'created'; description: string; parameterCount: number }
  | { type: 'state'; state: RunState; step: number }
  | { type: 'metrics'; points: MetricPoint[] }
  | { type: 'eval'; step: number; result: EvalResult }
  | { type: 'exported'; format: 'safetensors' | 'onnx'; bytes: Uint8Array; name: string; note?: string }
  | { type: 'progress'; what: string; fraction: number }
  /** The outcome of loadWeights: nothing is written unless every key, shape and dtype matched. */
  | { type: 'weightsLoaded'; report: WeightsReport }
  | { type: 'error'; message: string; fatal: boolean }
  /** WebGPU validation / uncaptured errors since the last such message (not fatal). */
  | { type: 'gpuErrors'; errors: GpuErrorRecord[]; dropped: number }
  /** A checkpoint was written (error null) or could not be (the older ones are kept). */
  | { type: 'checkpointed'; runId: string; step: number; error: string | null }
  /** restore finished: training continues at `step`. */
  | { type: 'restored'; runId: string; step: number }
  /** The outcome of 'profile': per-kernel GPU times of that step (plain data). */
  | { type: 'profiled'; profile: StepProfile }
  /** Streamed data: where the training stream is and how fast it goes (after each chunk of steps). */
  | { type: 'streamProgress'; progress: StreamProgress }
  /** Streamed data: a batch could not be read; training paused before `step + 1`, the weights kept. */
  | { type: 'dataError'; step: number; file: string; dataset: string | null; entry: number | null; message: string }
  /** The outcome of 'evaluateTest'. */
  | { type: 'testEval'; step: number; result: EvalResult };

/** The stream line of the Train panel: the training stream's stats and rates while training. */
export interface StreamProgress {
  stats: StreamStats;
  /** Entries and megabytes read per second of training time, over the last chunk of steps. */
  entriesPerS: number;
  mbPerS: number;
  /** Seconds to the end of the epoch at that rate (Infinity when unknown). */
  etaEpochS: number;
  /** Share of the last chunk's wall time spent waiting for data (near 1 input-bound, near 0 GPU-bound). */
  inputFraction: number;
}

/** What a "Load weights" did, key by key (the Module's LoadReport, plus the file and outcome). */
export interface WeightsReport {
  name: string;
  ok: boolean;
  loaded: number;
  missing: string[];
  unexpected: string[];
  /** `name: expected [..] F32, got [..] F16` */
  mismatched: string[];
  /** Why nothing loaded, when it was not a key mismatch (unreadable file, no model yet). */
  problem?: string;
}
