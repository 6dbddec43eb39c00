/**
 * Deep Sets trained from a stream (src/data/stream): each step pulls one batch of sets from
 * the training BatchSource, packs it into one block and uploads it; evaluation streams the
 * validation source (one pass), "evaluate on test file" the test source. Nothing of the
 * file is held beyond the batches in flight. Feature and target scaling come from the first
 * training batch (the only statistics a stream has before training starts).
 */
import type { JaggedSets } from '../../data/generic/sets';
import type { BatchSource } from '../../data/stream/types';
import { TrainingStream } from '../trainingStream';
import { DeepSet, type SetPool } from '../../nn/deepset';
import { seededRandom } from '../../nn/init';
import type { Engine } from '../../tensor/engine';
import type { Activation } from '../../tensor/kernels';
import type { EvalFigure, EvalResult, StepOutputs, TaskData, TaskRun } from '../types';
import {
  disposeBlocks,
  featureScaling,
  scaleFeatures,
  targetScaling,
  uploadSets,
  type FeatureScaling,
  type GpuBlock,
  type TargetScaling,
} from './batches';
import type { LabelledSets } from './data';
import { classificationMetrics, regressionMetrics } from './metrics';
import type { DeepSetsConfig } from './spec';
import { mul, scale } from '../../tensor/ops/elementwise';
import { mse, softmaxCrossEntropy } from '../../tensor/ops/losses';
import type { Tensor } from '../../tensor/tensor';

/** A batch of sets as the stream delivers it (JaggedSets: CSR values, offsets, one raw target per set). */
export type SetsPayload = JaggedSets & { entries: Uint32Array };

/**
 * TaskData of a streamed Deep Sets run. `classes`: the sorted distinct target values of a
 * classification target (class k = classes[k]); absent for regression.
 */
export type SetsStreamData = {
  kind: 'sets-stream';
  train: BatchSource<SetsPayload>;
  validation?: BatchSource<SetsPayload>;
  test?: BatchSource<SetsPayload>;
  targetKind: 'regression' | 'classification';
  classes?: number[];
  label?: string;
};

export function isSetsStreamData(d: TaskData | undefined): d is SetsStreamData {
  return !!d && (d as { kind?: unknown }).kind === 'sets-stream';
}

/** The batch's sets with a target (NaN = none, left out), targets as the head wants them. */
function labelled(p: SetsPayload, classIndex: Map<number, number> | null): { data: LabelledSets; entries: number[] } {
  const keep: number[] = [];
  for (let k = 0; k < p.targets.length; k++) if (!Number.isNaN(p.targets[k])) keep.push(k);
  const offsets = new Uint32Array(keep.length + 1);
  keep.forEach((k, i) => (offsets[i + 1] = offsets[i] + p.offsets[k + 1] - p.offsets[k]));
  const values = new Float32Array(offsets[keep.length] * p.width);
  keep.forEach((k, i) => values.set(p.values.subarray(p.offsets[k] * p.width, p.offsets[k + 1] * p.width), offsets[i] * p.width));
  const sets = { values, offsets, width: p.width };
  const entries = keep.map((k) => p.entries[k]);
  if (!classIndex) return { data: { sets, targets: Float32Array.from(keep, (k) => p.targets[k]), numClasses: 0 }, entries };
  const targets = Int32Array.from(keep, (k) => {
    const c = classIndex.get(p.targets[k]);
    if (c === undefined)
      throw new Error(
        `class value ${p.targets[k]} of entry ${p.entries[k]} is not among the classes found (${[...classIndex.keys()].join(', ')})`,
      );
    return c;
  });
  return { data: { sets, targets, numClasses: classIndex.size }, entries };
}

export class DeepSetsStreamRun extends TrainingStream<SetsPayload> implements TaskRun {
  readonly model: DeepSet;
  private blocks = new Map<number, GpuBlock>();
  private classIndex: Map<number, number> | null;
  readonly features: FeatureScaling;
  readonly target: TargetScaling;
  readonly numClasses: number;
  private width: number;

  static async create(engine: Engine, config: DeepSetsConfig, data: SetsStreamData): Promise<DeepSetsStreamRun> {
    const first = await data.train.next();
    if (!first) throw new Error(`${data.train.stats().file || 'the training stream'} has no entries to train on`);
    return new DeepSetsStreamRun(engine, config, data, first.payload);
  }

  private constructor(
    private engine: Engine,
    readonly config: DeepSetsConfig,
    readonly data: SetsStreamData,
    first: SetsPayload,
  ) {
    super(data.train, first);
    this.classIndex = data.targetKind === 'classification' ? new Map((data.classes ?? []).map((c, k) => [c, k])) : null;
    if (this.classIndex && this.classIndex.size < 2)
      throw new Error('Deep Sets stream: a classification target needs at least 2 classes (pass the classes found in the file)');
    const l = labelled(first, this.classIndex).data;
    if (!l.targets.length) throw new Error('Deep Sets stream: the first batch has no set with a target');
    this.features = featureScaling(l.sets);
    this.target = targetScaling(l);
    this.numClasses = l.numClasses;
    this.width = first.width;
    const meanSize = Math.max(1, l.sets.offsets[l.targets.length] / l.targets.length);
    this.model = new DeepSet(
      engine,
      {
        inputWidth: first.width,
        phi: { width: config.phiWidth, depth: config.phiDepth },
        rho: { width: config.rhoWidth, depth: config.rhoDepth },
        outputs: this.numClasses || 1,
        activation: config.activation as Activation,
        pool: config.pool as SetPool,
        poolScale: config.pool === 'sum' ? 1 / meanSize : 1,
      },
      seededRandom(config.seed),
    );
  }

  parameters() {
    return this.model.parameters();
  }

  /** One block holding the whole batch (capacity raised to the batch's elements when needed). */
  private upload(p: SetsPayload): { block: GpuBlock; data: LabelledSets; entries: number[] } | null {
    const { data, entries } = labelled(p, this.classIndex);
    if (!data.targets.length) return null;
    const capacity = Math.max(this.config.batchCapacity, data.sets.offsets[data.targets.length], 1);
    const up = uploadSets(this.engine, scaleFeatures(data.sets, this.features), data, this.target, capacity);
    if (up.blocks.length !== 1) throw new Error(`Deep Sets stream: a batch packed into ${up.blocks.length} blocks`);
    return { block: up.blocks[0], data, entries };
  }

  async nextBatch(step: number): Promise<void> {
    // the previous steps' blocks were submitted: their buffers can go back to the pool
    for (const [s, b] of this.blocks)
      if (s < step) {
        disposeBlocks([b]);
        this.blocks.delete(s);
      }
    let up: ReturnType<DeepSetsStreamRun['upload']> = null;
    while (!up) {
      up = this.upload(await this.pull());
    }
    this.blocks.set(step, up.block);
  }

  private blockLoss(block: GpuBlock): Tensor<'f32'> {
    const out = this.model.forward(block.values, block.offsets);
    if (block.labels) return softmaxCrossEntropy(out, block.labels);
    const raw = mse(mul(out, block.mask!), block.targets!);
    return scale(raw, (this.target.std ** 2 * block.slots.length) / block.numSets);
  }

  trainStep(step: number): StepOutputs {
    const block = this.blocks.get(step);
    if (!block) throw new Error(`Deep Sets stream: no batch fetched for step ${step} (call nextBatch first)`);
    return { loss: this.blockLoss(block) };
  }

  /** One pass over `source`: predictions and truths of every set with a target. */
  private async pass(source: BatchSource<SetsPayload>): Promise<{ pred: Float32Array; truth: Float32Array | Int32Array; entries: number }> {
    source.restart();
    const width = this.numClasses || 1;
    const preds: Float32Array[] = [];
    const truths: (Float32Array | Int32Array)[] = [];
    for (let b = await source.next(); b; b = await source.next()) {
      const up = this.upload(b.payload);
      if (!up) continue;
      const y = this.engine.scope(() => this.model.forward(up.block.values, up.block.offsets));
      const v = await y.read();
      y.dispose();
      disposeBlocks([up.block]);
      const out = new Float32Array(up.data.targets.length * width);
      up.block.slots.forEach((k, slot) => {
        if (k < 0) return;
        for (let j = 0; j < width; j++)
          out[k * width + j] = this.numClasses ? v[slot * width + j] : v[slot] * this.target.std + this.target.mean;
      });
      preds.push(out);
      truths.push(up.data.targets);
    }
    const cat = <T extends Float32Array | Int32Array>(xs: T[], make: (n: number) => T) => {
      const o = make(xs.reduce((a, x) => a + x.length, 0));
      let at = 0;
      for (const x of xs) {
        o.set(x, at);
        at += x.length;
      }
      return o;
    };
    const pred = cat(preds, (n) => new Float32Array(n));
    const truth = this.numClasses
      ? cat(truths as Int32Array[], (n) => new Int32Array(n))
      : cat(truths as Float32Array[], (n) => new Float32Array(n));
    return { pred, truth, entries: truth.length };
  }

  private async metrics(source: BatchSource<SetsPayload>, what: string): Promise<EvalResult> {
    const { pred, truth, entries } = await this.pass(source);
    if (!entries) throw new Error(`${source.stats().file}: the ${what} stream has no sets with a target`);
    if (this.numClasses) {
      const m = classificationMetrics(pred, truth as Int32Array, this.numClasses);
      return {
        scalars: { loss: m.crossEntropy, accuracy: m.accuracy, entries },
        figures: [
          {
            id: 'confusion',
            title: `confusion matrix (${what}, ${entries} sets, accuracy ${(100 * m.accuracy).toFixed(1)}%)`,
            kind: 'heatmap',
            z: m.confusion,
            xLabel: 'predicted class',
            yLabel: 'true class',
          },
        ],
      };
    }
    const m = regressionMetrics(pred, truth as Float32Array);
    const shown = Math.min(entries, 2000);
    const figure: EvalFigure = {
      id: 'pred-vs-truth',
      title: `prediction vs truth (${what}, first ${shown} of ${entries} sets)`,
      kind: 'scatter',
      x: Array.from(truth.subarray(0, shown)),
      y: Array.from(pred.subarray(0, shown)),
      xLabel: 'truth',
      yLabel: 'prediction',
      diagonal: true,
    };
    return { scalars: { loss: m.mse, mse: m.mse, entries }, figures: [figure] };
  }

  evaluate(): Promise<EvalResult> {
    if (!this.data.validation)
      throw new Error('Deep Sets stream: no validation data (give a validation file or a split of the training file)');
    return this.metrics(this.data.validation, 'validation');
  }

  evaluateTest(): Promise<EvalResult> {
    if (!this.data.test) throw new Error('Deep Sets stream: no test file');
    return this.metrics(this.data.test, 'test file');
  }

  namedWeights() {
    return this.model.namedWeights();
  }

  describe(): string {
    const s = this.data.train.stats();
    const head = this.numClasses ? `${this.numClasses}-class classification` : 'regression';
    const v = this.data.validation?.stats();
    return (
      `${this.data.label ?? s.file}: streaming ${s.epochSize} training sets per epoch` +
      `${v ? `, validating on ${v.epochSize} sets of ${v.file}` : ''}${this.data.test ? `, test file ${this.data.test.stats().file}` : ''}; ` +
      `${this.width} features, ${head}, ${this.config.pool} pooling; scaling from the first batch`
    );
  }

  dispose(): void {
    this.model.dispose();
    disposeBlocks([...this.blocks.values()]);
    this.blocks.clear();
    for (const s of [this.data.train, this.data.validation, this.data.test]) s?.close();
  }
}
