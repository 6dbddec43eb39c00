import { seededRandom } from '../../nn/init';
import { CosmicUResNet } from '../../nn/cosmicUResNet';
import { reshape } from '../../tensor/ops/reshape';
import { moduleWeights } from '../../nn/namedWeights';
import type { Engine } from '../../tensor/engine';
import type { Tensor } from '../../tensor/tensor';
import type { EvalResult, StepOutputs, TaskData, TaskDefinition, TaskRun } from '../types';
import { makeBatches, type HostBatch } from './batches';
import { cosmicLoss, parseBalance, type BalanceScheme } from './loss';
import { argmaxLabels } from './figures';
import { cosmicEvalReport, type EvalBatch } from './evalReport';
import { parseEmptyImages, type EmptyImages } from './metrics';
import { confusionCounts, metricAverages } from './metricsGpu';
import { checkedCosmicOnnx } from './onnxCheck';
import { downsamplePlanes, isPlaneData, sliceEvents, type PlaneData } from './planes';
import { syntheticPlanes } from './synthetic';
import { cosmicTaggingSpec, networkConfig, type CosmicConfig } from './spec';
import { CosmicStreamRun, isPlanesStreamData } from './stream';
export type { CosmicConfig } from './spec';

const CLASSES = 3;

export const cosmicTaggingTask: TaskDefinition<CosmicConfig> = {
  ...cosmicTaggingSpec,
  create: (engine, config, data) =>
    isPlanesStreamData(data) ? CosmicStreamRun.create(engine, config, data) : new CosmicTaggingRun(engine, config, data),
};

/** Train and test events: a loaded file (80 / 20 split, at least one test event) or synthetic. */
export function cosmicDatasets(c: CosmicConfig, data?: TaskData): { train: PlaneData; test: PlaneData; source: string } {
  if (data && isPlaneData(data)) {
    const d = downsamplePlanes(data, c.downsample);
    if (d.events < 2) throw new Error(`the loaded file has ${d.events} event(s); at least 2 are needed (train and test)`);
    const nTest = Math.max(1, Math.round(d.events * 0.2));
    return { train: sliceEvents(d, 0, d.events - nTest), test: sliceEvents(d, d.events - nTest, d.events), source: 'loaded file' };
  }
  if (data && Object.keys(data).length)
    throw new Error('the cosmic task needs planes data ({kind: "planes", images, labels, ...}) or none for synthetic events');
  const make = (events: number, seed: number) => downsamplePlanes(syntheticPlanes({ events, size: c.imageSize, seed }), c.downsample);
  return { train: make(c.trainEvents, c.seed + 1), test: make(c.testEvents, c.seed + 1_000_003), source: 'synthetic' };
}

export class CosmicTaggingRun implements TaskRun {
  readonly model: CosmicUResNet;
  readonly train: PlaneData;
  readonly test: PlaneData;
  private trainBatches: HostBatch[];
  private testBatches: HostBatch[];
  private source: string;
  private balance: BalanceScheme;
  private emptyImages: EmptyImages;

  constructor(
    private engine: Engine,
    private config: CosmicConfig,
    data?: TaskData,
  ) {
    const sets = cosmicDatasets(config, data);
    this.train = sets.train;
    this.test = sets.test;
    this.source = sets.source;
    const scheme = parseBalance(config.balance);
    this.balance = scheme;
    this.emptyImages = parseEmptyImages(config.nonbg_empty);
    this.trainBatches = makeBatches(this.train, config.batchSize, scheme, CLASSES);
    if (!this.trainBatches.length) throw new Error(`batch size ${config.batchSize} exceeds the ${this.train.events} training events`);
    this.testBatches = makeBatches(this.test, config.batchSize, scheme, CLASSES, true);
    this.model = new CosmicUResNet(engine, networkConfig(config), seededRandom(config.seed), this.train.planes);
  }

  parameters() {
    return this.model.parameters();
  }

  private upload(b: HostBatch) {
    const { planes: P, height: H, width: W } = this.train;
    const e = this.engine;
    return {
      x: e.fromArray(b.images, [b.events, P, H, W]),
      y: e.fromArray(b.labels, [b.events * P, H, W], { dtype: 'i32' }),
      w: e.fromArray(b.classWeights, [P, CLASSES]),
    };
  }

  private loss(logits: Tensor<'f32'>, y: Tensor<'i32'>, w: Tensor<'f32'>): Tensor<'f32'> {
    return cosmicLoss(logits, y, w, this.train.planes, this.balance);
  }

  /** Logits [B, P, C, H, W] as [B·P, C, H, W] (plane n % P of event ⌊n / P⌋), the loss's and metrics' layout; no copy. */
  private forward(x: Tensor<'f32'>): Tensor<'f32'> {
    const z = this.model.forward(x);
    const [B, P, C, H, W] = z.shape;
    return reshape(z, [B * P, C, H, W]);
  }

  /** Forward + loss of batch `step mod batches`; train metrics come from GPU confusion counts. */
  trainStep(step: number): StepOutputs {
    const { x, y, w } = this.upload(this.trainBatches[step % this.trainBatches.length]);
    const logits = this.forward(x);
    const loss = this.loss(logits, y, w);
    const conf = confusionCounts(this.engine, logits, y);
    return { loss, metrics: metricAverages(this.engine, conf, this.train.planes, undefined, this.emptyImages) };
  }

  /** Test metrics in eval mode (batch norm on its running statistics), as upstream validates. */
  async evaluate(): Promise<EvalResult> {
    const wasTraining = this.model.training;
    this.model.eval();
    try {
      return await this.evaluateBatches();
    } finally {
      this.model.train(wasTraining);
    }
  }

  private async evaluateBatches(): Promise<EvalResult> {
    const e = this.engine;
    const batches: EvalBatch[] = [];
    let firstLogits: Float32Array | null = null;
    const { planes: P, height: H, width: W } = this.test;
    for (const [i, b] of this.testBatches.entries()) {
      const { logits, loss, conf } = e.scope(() => {
        const t = this.upload(b);
        const z = this.forward(t.x);
        return { logits: z, loss: this.loss(z, t.y, t.w), conf: confusionCounts(e, z, t.y) };
      });
      const [l, c, z] = await Promise.all([loss.item(), conf.read(), i === 0 ? logits.read() : Promise.resolve(null)]);
      if (z) firstLogits = z;
      batches.push({ conf: Float64Array.from(c), events: b.events, loss: l });
      for (const t of [logits, loss, conf]) t.dispose();
    }
    const predicted = argmaxLabels(firstLogits!.subarray(0, P * CLASSES * H * W), P, CLASSES, H * W);
    return cosmicEvalReport(batches, P, CLASSES, this.emptyImages, { input: this.test, predicted });
  }

  namedWeights() {
    return moduleWeights(this.model);
  }

  lastOnnxCheck: string | null = null;

  /**
   * The network as ONNX (eval mode: image [B, 3, H, W] → logits [B, 3, 3, H, W], H and W
   * free), checked in onnxruntime-web against the engine's eval-mode logits of test event 0.
   */
  async exportOnnx(): Promise<Uint8Array> {
    const { planes: P, height: H, width: W } = this.test;
    const { bytes, check } = await checkedCosmicOnnx(
      this.engine,
      this.model,
      this.test.images.slice(0, P * H * W),
      [1, P, H, W],
      'test event 0',
    );
    this.lastOnnxCheck = check;
    return bytes;
  }

  describe() {
    const { planes, height, width } = this.train;
    return (
      `${this.train.events} train / ${this.test.events} test events (${this.source}), ${planes}×${height}×${width}, ` +
      `CosmicTagger UResNet (${this.config.network}: depth ${this.model.cfg.depth}, ${this.model.cfg.n_initial_filters} filters), ${this.model.parameterCount().toLocaleString('en-US')} parameters`
    );
  }

  dispose() {
    this.model.dispose();
  }
}
