import type { Module } from '../nn/module';
import type { Engine } from '../tensor/engine';
import type { Tensor } from '../tensor/tensor';

/** What every field has; `hideWhenFile`: only the built-in data uses it (hidden when a file is attached). */
interface FieldBase {
  key: string;
  label: string;
  help?: string;
  hideWhenFile?: boolean;
}

/** One setting a task exposes in the UI; the form is generated from these. */
export type ConfigField =
  | (FieldBase & { kind: 'number' | 'int'; min?: number; max?: number; step?: number })
  | (FieldBase & { kind: 'select'; options: string[] })
  | (FieldBase & { kind: 'bool' })
  /** Free text (e.g. a YAML event description), editable or loaded from a file. */
  | (FieldBase & { kind: 'text' });

export type TaskConfig = Record<string, number | string | boolean>;

/** What one training step computes; the trainer wraps it in a tape, backward and Adam. */
export interface StepOutputs {
  /** Scalar loss to minimise. */
  loss: Tensor<'f32'>;
  /** Other scalars worth plotting (per-term losses, batch accuracy); read back every k steps. */
  metrics?: Record<string, Tensor<'f32'>>;
}

/** A small chart a task can show after evaluation (prediction vs truth, an event display). */
export interface EvalFigure {
  id: string;
  title: string;
  kind: 'scatter' | 'image' | 'heatmap' | 'planes' | 'table';
  x?: number[];
  y?: number[];
  z?: number[][];
  color?: number[];
  xLabel?: string;
  yLabel?: string;
  /** Draw the y = x line (prediction vs truth plots). */
  diagonal?: boolean;
  /** heatmap: category names of the columns / rows, and a text per cell (confusion matrices). */
  xCategories?: string[];
  yCategories?: string[];
  text?: string[][];
  /** kind 'planes': a full-resolution event display (canvas, zoom and pan), see PlaneLayers. */
  planes?: PlaneLayers;
  /** kind 'table': column headings and rows of cells, already formatted as text (e.g. SPANet's spanet.test tables). */
  columns?: string[];
  rows?: string[][];
  /** kind 'table': a line under the table (what the rows are, what is left out). */
  note?: string;
}

/** Images of one event, each layer [count, height, width] row-major (plane, row = time, column = wire). */
export interface PlaneLayers {
  count: number;
  height: number;
  width: number;
  layers: { id: string; name: string; values: Float32Array | Uint8Array; scale: 'charge' | 'labels' }[];
}

export interface EvalResult {
  /** Held-out metrics, plotted next to the training series as "test <name>". */
  scalars: Record<string, number>;
  figures?: EvalFigure[];
}

/** A model, its data and its loss, alive on one engine. */
export interface TaskRun {
  /** The trained network: its state dict is what export, "Load weights" and checkpoints use. */
  model?: Module;
  parameters(): Tensor<'f32'>[];
  /** Records the forward pass and loss of the next training batch (inside a tape). */
  trainStep(step: number): StepOutputs;
  /**
   * Micro-batches in one pass over the training data (trainStep(k) draws batch k mod this):
   * the Trainer reports `epoch` = micro-batches done / this with each point. Left out by
   * streamed tasks, whose position is the stream's (streamStats).
   */
  batchesPerEpoch?(): number;
  /**
   * Streaming tasks (src/data/stream): fetches and uploads the batch of micro-step `step`
   * before trainStep(step) records it. The Trainer awaits it and reports the wait as
   * `data_wait_ms` / `input_fraction`; a rejection with a StreamDataError pauses training.
   */
  nextBatch?(step: number): Promise<void>;
  /** Streaming tasks: leaves a bad entry out of the training stream (the user chose to skip it). */
  skipEntry?(entry: number): void;
  /** Streaming tasks: where the training stream is (epoch, position, entries/s, MB/s). */
  streamStats?(): import('../data/stream/types').StreamStats;
  /**
   * Streaming tasks: where the training stream stands after the batches the steps so far
   * used (read-ahead excluded), for checkpoints; null while nothing a step used was drawn.
   */
  streamState?(): import('../data/stream/types').StreamPosition | null;
  /** Streaming tasks: after create(), continue the training stream at a checkpoint's position (resume). */
  restoreStream?(p: import('../data/stream/types').StreamPosition): void;
  /** Streaming tasks with a test file: one pass over it, the task's metrics. */
  evaluateTest?(): Promise<EvalResult>;
  /** Evaluates on held-out data; may read back from the GPU. */
  evaluate(): Promise<EvalResult>;
  /** Named weights for export (safetensors / ONNX). */
  namedWeights?(): Promise<Record<string, { shape: number[]; data: Float32Array }>>;
  /** Serialised ONNX model of the trained network, when the task supports it (options: SPANet's export switches, see OnnxExportOptions). */
  exportOnnx?(options?: OnnxExportOptions): Promise<Uint8Array>;
  /** What the last exportOnnx verified (e.g. "onnxruntime-web agrees … max |Δ| 5e-7"). */
  lastOnnxCheck?: string | null;
  /**
   * The optimiser the run itself prescribes (e.g. SPANet's options file): these settings
   * replace the Train panel's / RUN.json's, and `noDecay` (by state-dict name) replaces the
   * default weight-decay groups. Null or absent: the caller's settings apply unchanged.
   */
  optimizerPlan?(): OptimizerPlan | null;
  /** A one-line description of the data in use, e.g. "100 train / 100 test sets, 5.2% padding". */
  describe(): string;
  dispose(): void;
}

/** See TaskRun.optimizerPlan. */
export interface OptimizerPlan {
  optimizer: Partial<import('../train/optimConfig').OptimizerConfig>;
  noDecay?: (name: string) => boolean;
}

/** Data handed to a task from a loaded file (flat arrays, CSR offsets); tasks define the shape. */
export type TaskData = Record<string, unknown>;

export interface TaskDefinition<C extends TaskConfig = TaskConfig> {
  id: string;
  label: string;
  description: string;
  defaults: C;
  fields: ConfigField[];
  /** Adam settings that suit the task. */
  optimizer?: { lr?: number; weightDecay?: number };
  create(engine: Engine, config: C, data?: TaskData): Promise<TaskRun> | TaskRun;
}

/** A task without its implementation: what the page's catalogue shows (src/tasks/catalog.ts). */
export type TaskSpec<C extends TaskConfig = TaskConfig> = Omit<TaskDefinition<C>, 'create'>;

/** upstream SPANet's spanet/export.py switches (`physml export --opset --input-log-transform --output-log-transform --output-embeddings`); unset: the task's config. */
export interface OnnxExportOptions {
  opset?: number;
  inputLogTransform?: boolean;
  outputLogTransform?: boolean;
  outputEmbeddings?: boolean;
}
