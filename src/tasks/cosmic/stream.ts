/**
 * Cosmic tagging trained from a stream (src/data/stream): each step pulls one batch of events
 * from the training BatchSource, still sparse (PlanesPayload: (index, value) lists per event
 * and plane), and densifies it on the GPU, downsampled by 2^downsample there (images averaged,
 * labels max-pooled). Evaluation streams the validation source (one pass, eval mode) and
 * "evaluate on test file" the test source, with the metrics and figures of the in-memory run.
 * Nothing of the file is held beyond the batches in flight.
 */
import type { PlanesPayload } from '../../data/stream/planesPayload';
import type { BatchSource } from '../../data/stream/types';
import { TrainingStream } from '../trainingStream';
import { CosmicUResNet } from '../../nn/cosmicUResNet';
import { seededRandom } from '../../nn/init';
import { moduleWeights } from '../../nn/namedWeights';
import type { Engine } from '../../tensor/engine';
import { densifyPlanes } from '../../tensor/ops/densifyPlanes';
import { reshape } from '../../tensor/ops/reshape';
import type { Tensor } from '../../tensor/tensor';
import type { EvalResult, StepOutputs, TaskData, TaskRun } from '../types';
import { cosmicEvalReport, type EvalBatch } from './evalReport';
import { argmaxLabels } from './figures';
import { cosmicLoss, parseBalance, type BalanceScheme } from './loss';
import { parseEmptyImages, type EmptyImages } from './metrics';
import { confusionCounts, metricAverages } from './metricsGpu';
import { checkedCosmicOnnx } from './onnxCheck';
import { payloadClassWeights } from './payloadClassCounts';
import type { PlaneData } from './planes';
import { networkConfig, type CosmicConfig } from './spec';

const CLASSES = 3;

/** TaskData of a streamed cosmic run: one source per role. */
export type PlanesStreamData = {
  kind: 'planes-stream';
  train: BatchSource<PlanesPayload>;
  validation?: BatchSource<PlanesPayload>;
  test?: BatchSource<PlanesPayload>;
  label?: string;
};

export function isPlanesStreamData(d: TaskData | undefined): d is PlanesStreamData {
  return !!d && (d as { kind?: unknown }).kind === 'planes-stream';
}

/** One batch on the GPU: images [B, P, h, w], labels [B·P, h, w], class weights [P, C]. */
interface GpuBatch {
  x: Tensor<'f32'>;
  y: Tensor<'i32'>;
  w: Tensor<'f32'>;
  events: number;
}

const disposeBatch = (b: GpuBatch) => [b.x, b.y, b.w].forEach((t) => t.dispose());

export class CosmicStreamRun extends TrainingStream<PlanesPayload> implements TaskRun {
  readonly model: CosmicUResNet;
  readonly planes: number;
  /** the trained plane size, after downsampling */
  readonly height: number;
  readonly width: number;
  private fullHeight: number;
  private fullWidth: number;
  private balance: BalanceScheme;
  private emptyImages: EmptyImages;
  private batches = new Map<number, GpuBatch>();
  /** one validation event's images [1, P, h, w] (from the last evaluation), the ONNX check's input */
  private sample: Float32Array | null = null;
  lastOnnxCheck: string | null = null;

  /** The first training batch gives the planes and their size (the model needs the plane count). */
  static async create(engine: Engine, config: CosmicConfig, data: PlanesStreamData): Promise<CosmicStreamRun> {
    const first = await data.train.next();
    if (!first) throw new Error(`${data.train.stats().file || 'the training stream'} has no entries to train on`);
    return new CosmicStreamRun(engine, config, data, first.payload);
  }

  private constructor(
    private engine: Engine,
    readonly config: CosmicConfig,
    readonly data: PlanesStreamData,
    first: PlanesPayload,
  ) {
    super(data.train, first);
    this.balance = parseBalance(config.balance);
    this.emptyImages = parseEmptyImages(config.nonbg_empty);
    const f = 2 ** config.downsample;
    if (first.height % f || first.width % f)
      throw new Error(`cannot downsample ${first.height}×${first.width} planes by 2^${config.downsample}: the sides must divide by ${f}`);
    this.planes = first.planes;
    this.fullHeight = first.height;
    this.fullWidth = first.width;
    this.height = first.height / f;
    this.width = first.width / f;
    this.model = new CosmicUResNet(engine, networkConfig(config), seededRandom(config.seed), this.planes);
  }

  parameters() {
    return this.model.parameters();
  }

  /** Densified and downsampled on the GPU; class weights from the sparse labels on the host. */
  private upload(p: PlanesPayload): GpuBatch {
    if (p.planes !== this.planes || p.height !== this.fullHeight || p.width !== this.fullWidth)
      throw new Error(
        `a batch of ${p.planes} planes of ${p.height}×${p.width} in a stream of ${this.planes} planes of ${this.fullHeight}×${this.fullWidth}`,
      );
    const { images, labels } = densifyPlanes(this.engine, p, this.config.downsample);
    const w = this.engine.fromArray(payloadClassWeights(p, this.config.downsample, this.balance, CLASSES), [this.planes, CLASSES]);
    return { x: images.keep(), y: labels.keep(), w: w.keep(), events: p.events };
  }

  async nextBatch(step: number): Promise<void> {
    // the previous steps' batches were submitted: their buffers can go back to the pool
    for (const [s, b] of this.batches)
      if (s < step) {
        disposeBatch(b);
        this.batches.delete(s);
      }
    let payload = await this.pull();
    // a batch whose entries were all skipped comes as no events
    while (!payload.events) payload = await this.pull();
    this.batches.set(step, this.upload(payload));
  }

  /** Logits [B, P, C, h, w] as [B·P, C, h, w] (plane n % P of event ⌊n / P⌋), the loss's and metrics' layout; no copy. */
  private forward(x: Tensor<'f32'>): Tensor<'f32'> {
    const z = this.model.forward(x);
    const [B, P, C, H, W] = z.shape;
    return reshape(z, [B * P, C, H, W]);
  }

  trainStep(step: number): StepOutputs {
    const b = this.batches.get(step);
    if (!b) throw new Error(`cosmic stream: no batch fetched for step ${step} (call nextBatch first)`);
    const logits = this.forward(b.x);
    const loss = cosmicLoss(logits, b.y, b.w, this.planes, this.balance);
    const conf = confusionCounts(this.engine, logits, b.y);
    return { loss, metrics: metricAverages(this.engine, conf, this.planes, undefined, this.emptyImages) };
  }

  /** One pass over `source` in eval mode (batch norm on its running statistics), as upstream validates. */
  private async pass(source: BatchSource<PlanesPayload>, what: string): Promise<EvalResult> {
    const wasTraining = this.model.training;
    this.model.eval();
    try {
      return await this.passBatches(source, what);
    } finally {
      this.model.train(wasTraining);
    }
  }

  private async passBatches(source: BatchSource<PlanesPayload>, what: string): Promise<EvalResult> {
    const e = this.engine;
    const { planes: P, height: H, width: W } = this;
    const batches: EvalBatch[] = [];
    let shown: { input: PlaneData; predicted: Uint8Array; entry: number } | null = null;
    source.restart();
    for (let s = await source.next(); s; s = await source.next()) {
      if (!s.payload.events) continue;
      const b = this.upload(s.payload);
      const { logits, loss, conf } = e.scope(() => {
        const z = this.forward(b.x);
        return { logits: z, loss: cosmicLoss(z, b.y, b.w, P, this.balance), conf: confusionCounts(e, z, b.y) };
      });
      const want: boolean = shown === null;
      const [l, c, z, x, y]: [number, Float32Array, Float32Array | null, Float32Array | null, Int32Array | null] = await Promise.all([
        loss.item(),
        conf.read(),
        want ? logits.read() : Promise.resolve(null),
        want ? b.x.read() : Promise.resolve(null),
        want ? b.y.read() : Promise.resolve(null),
      ]);
      if (z && x && y) {
        const per = P * H * W;
        this.sample = x.slice(0, per);
        const input: PlaneData = {
          kind: 'planes',
          events: 1,
          planes: P,
          height: H,
          width: W,
          images: this.sample,
          labels: y.slice(0, per),
        };
        shown = { input, predicted: argmaxLabels(z.subarray(0, P * CLASSES * H * W), P, CLASSES, H * W), entry: s.entries[0]! };
      }
      batches.push({ conf: Float64Array.from(c), events: b.events, loss: l });
      for (const t of [logits, loss, conf]) t.dispose();
      disposeBatch(b);
    }
    if (!shown) throw new Error(`${source.stats().file}: the ${what} stream has no entries`);
    const report = cosmicEvalReport(batches, P, CLASSES, this.emptyImages, { ...shown, title: `${what} entry ${shown.entry}` });
    return { ...report, scalars: { ...report.scalars, entries: batches.reduce((a, b) => a + b.events, 0) } };
  }

  evaluate(): Promise<EvalResult> {
    if (!this.data.validation)
      throw new Error('cosmic stream: no validation data (give a validation file or a split of the training file)');
    return this.pass(this.data.validation, 'validation');
  }

  evaluateTest(): Promise<EvalResult> {
    if (!this.data.test) throw new Error('cosmic stream: no test file');
    return this.pass(this.data.test, 'test file');
  }

  namedWeights() {
    return moduleWeights(this.model);
  }

  /** ONNX, checked on the first validation event of the last evaluation (or on the first training event before any). */
  async exportOnnx(): Promise<Uint8Array> {
    if (!this.sample) {
      const v = this.data.validation;
      v?.restart();
      const payload = (v ? (await v.next())?.payload : null) ?? this.first;
      if (!payload) throw new Error('cosmic stream: no event to check the ONNX export on (evaluate once first)');
      const b = this.upload(payload);
      this.sample = (await b.x.read()).slice(0, this.planes * this.height * this.width);
      disposeBatch(b);
    }
    const { bytes, check } = await checkedCosmicOnnx(
      this.engine,
      this.model,
      this.sample,
      [1, this.planes, this.height, this.width],
      'a validation event',
    );
    this.lastOnnxCheck = check;
    return bytes;
  }

  describe(): string {
    const s = this.data.train.stats();
    const v = this.data.validation?.stats();
    const k = this.config.downsample;
    const size = `${this.planes}×${this.height}×${this.width}${k ? ` (${this.fullHeight}×${this.fullWidth} downsampled by ${2 ** k} on the GPU)` : ''}`;
    return (
      `${this.data.label ?? s.file}: streaming ${s.epochSize} training events per epoch` +
      `${v ? `, validating on ${v.epochSize} events of ${v.file}` : ''}${this.data.test ? `, test file ${this.data.test.stats().file}` : ''}; ` +
      `${size}, CosmicTagger UResNet (${this.config.network}: depth ${this.model.cfg.depth}, ${this.model.cfg.n_initial_filters} filters), ` +
      `${this.model.parameterCount().toLocaleString('en-US')} parameters`
    );
  }

  dispose(): void {
    this.model.dispose();
    for (const b of this.batches.values()) disposeBatch(b);
    this.batches.clear();
    for (const s of [this.data.train, this.data.validation, this.data.test]) s?.close();
  }
}
