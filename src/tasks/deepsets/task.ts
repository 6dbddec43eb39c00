import { largestSet } from '../../data/packing';
import { maxAbsDifference, runOnnx } from '../../export/verifyOnnx';
import { DeepSet, type SetPool } from '../../nn/deepset';
import { seededRandom } from '../../nn/init';
import type { Engine } from '../../tensor/engine';
import type { Activation } from '../../tensor/kernels';
import { mul, scale } from '../../tensor/ops/elementwise';
import { mse, softmaxCrossEntropy } from '../../tensor/ops/losses';
import type { Tensor } from '../../tensor/tensor';
import type { EvalFigure, EvalResult, TaskData, TaskDefinition, TaskRun } from '../types';
import {
  disposeBlocks,
  featureScaling,
  scaleFeatures,
  targetScaling,
  uploadSets,
  type FeatureScaling,
  type GpuBlock,
  type TargetScaling,
  type UploadedSets,
} from './batches';
import { fileSplit, labelledFromTaskData, largest, parseSetsTaskData, toySplit, type LabelledSets, type Split } from './data';
import { deepSetOnnx, deepSetOnnxFeeds } from './onnx';
import { describePadding, regressionMetrics, classificationMetrics } from './metrics';
import { deepSetsSpec, type DeepSetsConfig } from './spec';
import { DeepSetsStreamRun, isSetsStreamData } from './stream';
export type { DeepSetsConfig } from './spec';

/**
 * ONNX and in-app predictions may differ by f32 rounding only: both sum up to a few hundred
 * terms per dot product and per pooled set, in different orders, ≲ 1e-6 relative per layer
 * and ≲ 1e-5 after a dozen layers (measured: ~3e-7 on the test models). 1e-4 of the output
 * scale leaves ≥ 10× margin, while a real mismatch (a wrong weight, a missed scaling, a
 * wrong pool) is O(1).
 */
export const ONNX_TOLERANCE = 1e-4;

export const deepSetsTask: TaskDefinition<DeepSetsConfig> = {
  ...deepSetsSpec,
  create: (engine, config, data) =>
    isSetsStreamData(data) ? DeepSetsStreamRun.create(engine, config, data) : new DeepSetsRun(engine, config, data),
};

export class DeepSetsRun implements TaskRun {
  readonly model: DeepSet;
  readonly split: Split;
  readonly features: FeatureScaling;
  readonly target: TargetScaling;
  readonly train: UploadedSets;
  readonly test: UploadedSets;
  private source: string;

  constructor(
    private engine: Engine,
    readonly config: DeepSetsConfig,
    data?: TaskData,
  ) {
    const { trainSets, testSets, seed } = config;
    if (data) {
      const parsed = parseSetsTaskData(data);
      this.split = fileSplit(labelledFromTaskData(parsed), trainSets, testSets, seed);
      this.source = parsed.label ?? 'file data';
    } else {
      this.split = toySplit(trainSets, testSets, seed, config.head === 'classification' ? 2 : 0);
      this.source = 'toy sets';
    }
    const { train, test } = this.split;
    this.features = featureScaling(train.sets);
    this.target = targetScaling(train);
    const capacity = (sets: LabelledSets) => Math.max(config.batchCapacity, largestSet(sets.sets), 1);
    // Seeded shuffle so blocks mix large and small sets; the order is fixed for the run.
    const rand = seededRandom(seed + 7);
    const order = Array.from({ length: train.targets.length }, (_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    this.train = uploadSets(engine, scaleFeatures(train.sets, this.features), train, this.target, capacity(train), order);
    this.test = uploadSets(engine, scaleFeatures(test.sets, this.features), test, this.target, capacity(test));
    this.model = new DeepSet(
      engine,
      {
        inputWidth: train.sets.width,
        phi: { width: config.phiWidth, depth: config.phiDepth },
        rho: { width: config.rhoWidth, depth: config.rhoDepth },
        outputs: train.numClasses || 1,
        activation: config.activation as Activation,
        pool: config.pool as SetPool,
        poolScale: config.pool === 'sum' ? 1 / meanSize(train) : 1,
      },
      seededRandom(seed),
    );
  }

  get numClasses(): number {
    return this.split.train.numClasses;
  }

  parameters() {
    return this.model.parameters();
  }

  /** Loss of one packed block; padding set slots are masked out. */
  blockLoss(block: GpuBlock): Tensor<'f32'> {
    const out = this.model.forward(block.values, block.offsets);
    if (block.labels) return softmaxCrossEntropy(out, block.labels);
    // mse averages over all maxSets slots; masked slots contribute 0, so rescale to the mean
    // over real sets, and by std² to report the MSE in the target's own units.
    const slots = block.slots.length;
    const raw = mse(mul(out, block.mask!), block.targets!);
    return scale(raw, (this.target.std ** 2 * slots) / block.numSets);
  }

  batchesPerEpoch() {
    return this.train.blocks.length;
  }

  trainStep(step: number) {
    return { loss: this.blockLoss(this.train.blocks[step % this.train.blocks.length]) };
  }

  /**
   * Model outputs per set of an uploaded collection, in the collection's order: predictions
   * in target units [sets] (regression) or logits [sets × classes].
   */
  async predict(uploaded: UploadedSets, count: number): Promise<Float32Array> {
    const width = this.numClasses || 1;
    const out = new Float32Array(count * width);
    for (const block of uploaded.blocks) {
      const y = this.engine.scope(() => this.model.forward(block.values, block.offsets));
      const v = await y.read();
      y.dispose();
      block.slots.forEach((k, slot) => {
        if (k < 0) return;
        for (let j = 0; j < width; j++) {
          out[k * width + j] = this.numClasses ? v[slot * width + j] : v[slot] * this.target.std + this.target.mean;
        }
      });
    }
    return out;
  }

  predictTest(): Promise<Float32Array> {
    return this.predict(this.test, this.split.test.targets.length);
  }

  async evaluate(): Promise<EvalResult> {
    const pred = await this.predictTest();
    const truth = this.split.test.targets;
    let figure: EvalFigure;
    let scalars: Record<string, number>;
    if (this.numClasses) {
      const m = classificationMetrics(pred, truth as Int32Array, this.numClasses);
      scalars = { loss: m.crossEntropy, accuracy: m.accuracy };
      figure = {
        id: 'confusion',
        title: `confusion matrix (test set, accuracy ${(100 * m.accuracy).toFixed(1)}%)`,
        kind: 'heatmap',
        z: m.confusion,
        xLabel: 'predicted class',
        yLabel: 'true class',
      };
    } else {
      const m = regressionMetrics(pred, truth as Float32Array);
      scalars = { loss: m.mse, mse: m.mse };
      figure = {
        id: 'pred-vs-truth',
        title: 'prediction vs truth (test sets)',
        kind: 'scatter',
        x: Array.from(truth),
        y: Array.from(pred),
        color: setSizes(this.split.test),
        xLabel: 'truth',
        yLabel: 'prediction',
      };
    }
    return { scalars, figures: [figure] };
  }

  namedWeights() {
    return this.model.namedWeights();
  }

  /** The ONNX graph of the current weights (see ./onnx.ts for its inputs and outputs). */
  async onnxBytes(metadata: Record<string, string> = {}): Promise<Uint8Array> {
    return deepSetOnnx({
      config: this.model.config,
      weights: await this.model.namedWeights(),
      features: this.features,
      target: this.target,
      numClasses: this.numClasses,
      metadata,
    });
  }

  /**
   * Runs `bytes` in onnxruntime-web on the raw test sets and compares with the engine's
   * predictions; max |difference| relative to the output scale must stay under ONNX_TOLERANCE.
   */
  async verifyOnnx(bytes: Uint8Array): Promise<{ maxAbsDiff: number; scale: number }> {
    const [ours, theirs] = await Promise.all([this.predictTest(), runOnnx(bytes, deepSetOnnxFeeds(this.split.test.sets))]);
    const got = theirs[this.numClasses ? 'logits' : 'prediction'];
    if (!got) throw new Error('ONNX check: the model has no prediction output');
    const maxAbsDiff = maxAbsDifference(got.data, ours);
    const scale = Math.max(1, largest(Array.from(ours, Math.abs)));
    if (!(maxAbsDiff <= ONNX_TOLERANCE * scale)) {
      throw new Error(`ONNX check failed: onnxruntime differs from the engine by ${maxAbsDiff} (allowed ${ONNX_TOLERANCE * scale})`);
    }
    return { maxAbsDiff, scale };
  }

  /** The result of the last export's onnxruntime check, as one line for the UI. */
  lastOnnxCheck: string | null = null;

  /** Exports, verifies in onnxruntime-web, and records the check in the model's metadata. */
  async exportOnnx(): Promise<Uint8Array> {
    const check = await this.verifyOnnx(await this.onnxBytes());
    this.lastOnnxCheck =
      `onnxruntime-web agrees on ${this.split.test.targets.length} test sets: ` +
      `max |Δ| = ${check.maxAbsDiff.toExponential(2)} (tolerance ${(ONNX_TOLERANCE * check.scale).toExponential(2)})`;
    return this.onnxBytes({
      'physml.verified_with': 'onnxruntime-web (wasm)',
      'physml.test_sets': String(this.split.test.targets.length),
      'physml.max_abs_diff': check.maxAbsDiff.toExponential(3),
    });
  }

  describe() {
    const { train, test } = this.split;
    const sizes = setSizes(train);
    const mean = sizes.reduce((a, b) => a + b, 0) / Math.max(1, sizes.length);
    const head = this.numClasses ? `${this.numClasses}-class classification` : 'regression';
    return (
      `${this.source}: ${train.targets.length} train / ${test.targets.length} test sets of ${train.sets.width} features ` +
      `(train sizes ${-largest(sizes.map((n) => -n))}–${largest(sizes)}, mean ${mean.toFixed(1)}), ${head}, ${this.config.pool} pooling; ` +
      describePadding(this.train.packing, this.config.batchCapacity)
    );
  }

  dispose() {
    this.model.dispose();
    disposeBlocks(this.train.blocks);
    disposeBlocks(this.test.blocks);
  }
}

function meanSize(data: LabelledSets): number {
  const o = data.sets.offsets;
  return Math.max(1, o[o.length - 1] / Math.max(1, o.length - 1));
}

function setSizes(data: LabelledSets): number[] {
  const o = data.sets.offsets;
  return Array.from({ length: o.length - 1 }, (_, k) => o[k + 1] - o[k]);
}
