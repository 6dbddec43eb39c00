/**
 * SPANet trained from a stream (src/data/stream): at create, one sequential pass over the
 * training file in slices gives the statistics prepareData takes from the training split
 * (streamStats.ts); then each step takes the next batch of events from the training
 * BatchSource, prepares it with those statistics (prepareWithStatistics + buildBatch, the
 * in-memory run's code) and rewrites one persistent GpuBatch (rewriteBatch: no GPU allocation
 * per step). Evaluation streams the validation source (a file, or the split's tail of the
 * training file) and "evaluate on test file" the test source through the in-memory run's
 * evaluation (evaluateBatches.ts): the same scalars, figures and spanet.test tables. Both
 * models (spanet-v2, simple). Nothing of the file is held beyond the batches in flight.
 */
import type { SpanetPayload } from '../../data/stream/spanetReader';
import { StreamDataError, type BatchSource } from '../../data/stream/types';
import { simpleSpanetModel } from './simpleModel';
import { moduleWeights } from '../../nn/namedWeights';
import type { SpanetModel } from '../../nn/spanet';
import type { Module } from '../../nn/module';
import type { Engine } from '../../tensor/engine';
import type { EvalResult, OnnxExportOptions, StepOutputs, TaskData, TaskRun } from '../types';
import { buildBatch, disposeBatch, rewriteBatch, uploadBatch, type GpuBatch, type HostBatch } from './batch';
import { evaluateSpanetBatches, type EvalBatch } from './evaluateBatches';
import { padTables } from './evaluateRun';
import type { EventSpec } from './eventSpec';
import { batchAccuracy, lossScales, spanetLoss, type LossScales } from './loss';
import { applyOptions, fieldOptions, mergeOptionsText, type OptionsApplied, type SpanetOptions } from './options';
import { predictBatch } from './predict';
import { prepareWithStatistics, type PreparedData } from './prepare';
import type { SpanetConfig } from './spec';
import type { SpanetStatistics } from './streamStats';
import { spanetSetup, type SpanetStreamSetup } from '../../data/stream/spanetPlan';
import { SpanetRun, SPANET_MODELS, type SpanetPrediction } from './task';
import type { TestReport } from './testReport';
import { SpanetV2Model } from './upstreamModel';
import { TrainingStream } from '../trainingStream';
import type { UpstreamOptimizerPlan } from './schedule';

/**
 * TaskData of a streamed SPANet run: one source per role, and either a sequential pass over
 * the training file for the statistics (physml train), or the statistics computed where the
 * file is (the app's data worker: spanetPlan.ts spanetSetup).
 */
export type SpanetStreamData = {
  kind: 'spanet-stream';
  train: BatchSource<SpanetPayload>;
  /** file order from entry 0 over (at least) the training range, one pass: the statistics */
  stats?: BatchSource<SpanetPayload>;
  /** the event description and statistics already computed (instead of stats) */
  setup?: SpanetStreamSetup;
  validation?: BatchSource<SpanetPayload>;
  test?: BatchSource<SpanetPayload>;
  /** events [0, trainEvents) of the training file train (default: the training stream's epoch size) */
  trainEvents?: number;
  /** instead of trainEvents: the sorted training entries of the pass (dataset_randomization's split, spanetPlan.ts) */
  trainSet?: Uint32Array;
  label?: string;
  /** the statistics pass: events read of the pass */
  onProgress?: (done: number, total: number) => void;
};

export function isSpanetStreamData(d: TaskData | undefined): d is SpanetStreamData {
  return !!d && (d as { kind?: unknown }).kind === 'spanet-stream';
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

export class SpanetStreamRun extends TrainingStream<SpanetPayload> implements TaskRun {
  readonly model: Module;
  readonly v2: SpanetV2Model | null = null;
  readonly simple: SpanetModel | null = null;
  private scales: LossScales;
  /** the persistent training batch (config.batchSize events), rewritten every step */
  private gpu: GpuBatch | null = null;
  /** a batch of another size (an epoch's last, or one with skipped entries), used for one step */
  private oneOff: GpuBatch | null = null;
  private current: GpuBatch | null = null;
  private N = -1;
  /** the first validation batch of the last evaluation (the ONNX check's events) */
  private sample: { host: HostBatch; data: PreparedData } | null = null;
  lastOnnxCheck: string | null = null;
  lastTestReport: TestReport | null = null;
  optionNotes = '';

  static async create(engine: Engine, config: SpanetConfig, data: SpanetStreamData): Promise<SpanetStreamRun> {
    if (!(SPANET_MODELS as readonly string[]).includes(config.model))
      throw new Error(`SPANet: unknown model "${config.model}" (one of ${SPANET_MODELS.join(', ')})`);
    const opts = config.optionsJson.trim() ? applyOptions(config, mergeOptionsText(config.optionsJson, config.optionsOverrides)) : null;
    const c = opts?.config ?? config;
    let setup = data.setup;
    if (!setup) {
      if (!data.stats) throw new Error('SPANet stream: neither statistics nor a statistics pass over the training file');
      setup = await spanetSetup(data.stats, c, data.trainSet ?? data.trainEvents ?? data.train.stats().epochSize, data.onProgress);
      data.stats.close();
    }
    const run = new SpanetStreamRun(engine, c, data, setup.spec, setup.statistics, opts?.options);
    run.applied = opts;
    return run;
  }

  /** The options file as applied (null without one): the optimiser plan and notes (task.ts). */
  applied: OptionsApplied | null = null;

  /** The options file's optimiser and schedule (set by task.ts as for SpanetRun), which the Trainer applies. */
  plan: UpstreamOptimizerPlan | null = null;

  optimizerPlan() {
    return this.plan;
  }

  private constructor(
    private engine: Engine,
    readonly config: SpanetConfig,
    readonly data: SpanetStreamData,
    readonly spec: EventSpec,
    readonly stats: SpanetStatistics,
    options?: SpanetOptions,
  ) {
    super(data.train);
    const c = config;
    this.scales = lossScales(c);
    if (c.model === 'spanet-v2') {
      this.v2 = new SpanetV2Model(engine, options ?? fieldOptions(c), spec, null, c.seed, stats.classCounts);
      this.writeNetworkStatistics(this.v2);
      // upstream's balance weights of the training events, counted in the statistics pass
      this.v2.setBalance(stats.balance);
      this.model = this.v2.network;
      return;
    }
    const D = spec.inputs.find((i) => i.kind === 'sequential')!.features.length;
    const G = spec.inputs.filter((i) => i.kind === 'global').reduce((a, i) => a + i.features.length, 0);
    this.simple = simpleSpanetModel(engine, c, spec, D + G + 2, stats.classCounts);
    this.model = this.simple;
  }

  /** The normalisers' and regression heads' statistics, as SpanetV2Model sets them from in-memory data. */
  private writeNetworkStatistics(v2: SpanetV2Model): void {
    const write = (t: { buffer: GPUBuffer }, v: Float32Array) => this.engine.gpu.write(t.buffer, v);
    v2.network.embedding.inputs.forEach((emb) => {
      if (!emb.normalizer) return;
      const k = this.spec.inputs.findIndex((i) => i.name === emb.input.name);
      write(emb.normalizer.mean, this.stats.inputNorms[k].mean);
      write(emb.normalizer.std, this.stats.inputNorms[k].std);
    });
    v2.network.regressionDecoder.networks.entries.forEach(([, head], r) => {
      write(head.mean, Float32Array.of(this.stats.regressionHeads[r].mean));
      write(head.std, Float32Array.of(this.stats.regressionHeads[r].std));
    });
  }

  parameters() {
    return this.model.parameters();
  }

  /** A payload as prepared data with the training split's statistics (jet slots padded to the training file's). */
  private prepare(p: SpanetPayload, source: BatchSource<SpanetPayload>): PreparedData {
    const seq = this.spec.inputs.find((i) => i.kind === 'sequential')!;
    const L = p.sources.find((s) => s.name === seq.name)?.maxLength ?? -1;
    if (this.N < 0) this.N = L;
    const t = L < this.N ? padTables(p, this.N) : p;
    if (L > this.N) throw new Error(`${source.stats().file}: ${L} jet slots, more than the ${this.N} of the training file`);
    const d = prepareWithStatistics(t, this.spec, this.stats);
    const C = this.spec.classifications.length;
    this.spec.classifications.forEach((k, c) => {
      for (let e = 0; e < d.nEvents; e++)
        if (d.classes[e * C + c] >= this.stats.classCounts[c])
          throw new StreamDataError(
            source.stats().file,
            `/CLASSIFICATIONS/${k}`,
            p.entries[e],
            `class ${d.classes[e * C + c]}, beyond the ${this.stats.classCounts[c]} classes of the training file`,
          );
    });
    return d;
  }

  /** Batches hold only real events for spanet-v2 (as the in-memory run's); the simple model's are padded to batchSize. */
  private slotsFor(n: number): number {
    return this.v2 ? n : Math.max(n, this.config.batchSize);
  }

  async nextBatch(_step: number): Promise<void> {
    if (this.oneOff) disposeBatch(this.oneOff);
    this.oneOff = null;
    let payload = await this.pull();
    while (!payload.nEvents) payload = await this.pull();
    const d = this.prepare(payload, this.data.train);
    const n = d.nEvents;
    const h = buildBatch(d, this.spec, range(n), this.slotsFor(n));
    const up = { network: this.v2 !== null };
    if (h.B === this.config.batchSize) {
      if (this.gpu) rewriteBatch(this.engine, this.gpu, h);
      else this.gpu = uploadBatch(this.engine, h, d, this.spec, up);
      this.current = this.gpu;
    } else {
      this.oneOff = uploadBatch(this.engine, h, d, this.spec, up);
      this.current = this.oneOff;
    }
  }

  trainStep(_step: number): StepOutputs {
    const b = this.current;
    if (!b) throw new Error('SPANet stream: no batch fetched (call nextBatch first)');
    if (this.v2) {
      this.v2.network.train();
      const o = this.v2.forward(b);
      const { loss, terms } = this.v2.loss(o, b, this.scales);
      return { loss, metrics: { ...terms, 'assignment accuracy': this.v2.accuracy(o, b) } };
    }
    const out = this.simple!.forward(b, b.host.B, this.N);
    const { loss, terms } = spanetLoss(this.engine, out, b, this.spec, this.scales);
    return { loss, metrics: { ...terms, 'assignment accuracy': batchAccuracy(this.engine, out, b, this.spec) } };
  }

  predict(b: GpuBatch): Promise<SpanetPrediction> {
    const norms = { N: this.N, regNorm: this.stats.regNorm, classCounts: this.stats.classCounts };
    return predictBatch({ engine: this.engine, spec: this.spec, v2: this.v2, simple: this.simple, scales: this.scales, norms }, b);
  }

  /** One pass over `source`, a batch on the GPU at a time (disposed once predicted). */
  private async *passBatches(source: BatchSource<SpanetPayload>): AsyncGenerator<EvalBatch> {
    source.restart();
    let firstBatch = true;
    for (let s = await source.next(); s; s = await source.next()) {
      if (!s.payload.nEvents) continue;
      const d = this.prepare(s.payload, source);
      const host = buildBatch(d, this.spec, range(d.nEvents), this.slotsFor(d.nEvents));
      if (firstBatch) this.sample = { host, data: d };
      firstBatch = false;
      const gpu = uploadBatch(this.engine, host, d, this.spec, { network: this.v2 !== null });
      try {
        yield { gpu, data: d };
      } finally {
        disposeBatch(gpu);
      }
    }
  }

  private async pass(source: BatchSource<SpanetPayload>, what: string): Promise<EvalResult> {
    let events = 0;
    const counted = async function* (it: AsyncGenerator<EvalBatch>) {
      for await (const b of it) {
        events += b.data.nEvents;
        yield b;
      }
    };
    const { result, report } = await evaluateSpanetBatches(this.spec, counted(this.passBatches(source)), (b) => this.predict(b));
    if (!events) throw new Error(`${source.stats().file}: the ${what} stream has no events`);
    if (report) this.lastTestReport = report;
    return { ...result, scalars: { ...result.scalars, entries: events } };
  }

  evaluate(): Promise<EvalResult> {
    if (!this.data.validation)
      throw new Error('SPANet stream: no validation data (give a validation file or a split of the training file)');
    return this.pass(this.data.validation, 'validation');
  }

  evaluateTest(): Promise<EvalResult> {
    if (!this.data.test) throw new Error('SPANet stream: no test file');
    return this.pass(this.data.test, 'test file');
  }

  namedWeights() {
    return moduleWeights(this.model);
  }

  stateDict() {
    return this.model.stateDict();
  }

  /** The in-memory run's export and check, on the first validation batch of the last evaluation (read now if there was none). */
  async exportOnnx(o: OnnxExportOptions = {}): Promise<Uint8Array> {
    if (!this.sample) {
      const v = this.data.validation;
      if (!v) throw new Error('SPANet stream: no validation events to check the ONNX export on');
      for await (const b of this.passBatches(v)) {
        void b;
        break;
      }
    }
    const { host, data } = this.sample!;
    const gpu = uploadBatch(this.engine, host, data, this.spec, { network: this.v2 !== null });
    try {
      // SpanetRun.exportOnnx over this run's model and the sample batch (its data: the batch's prepared events)
      const like = {
        config: this.config,
        v2: this.v2,
        spec: this.spec,
        data,
        test: [gpu],
        lastOnnxCheck: null as string | null,
        namedWeights: () => this.namedWeights(),
        predict: (b: GpuBatch) => this.predict(b),
      };
      const bytes = await SpanetRun.prototype.exportOnnx.call(like as unknown as SpanetRun, o);
      this.lastOnnxCheck = like.lastOnnxCheck;
      return bytes;
    } finally {
      disposeBatch(gpu);
    }
  }

  describe(): string {
    const s = this.data.train.stats();
    const v = this.data.validation?.stats();
    return (
      `${this.data.label ?? s.file}: streaming ${s.epochSize} training events per epoch` +
      `${v ? `, validating on ${v.epochSize} events of ${v.file}` : ''}${this.data.test ? `, test file ${this.data.test.stats().file}` : ''}; ` +
      `≤${this.N < 0 ? '?' : this.N} jets, particles ${this.spec.particles.map((p) => `${p.name}(${p.products.join(',')})`).join(' ')}, ` +
      `${this.config.model}, batches of ${this.config.batchSize}; statistics from ${this.stats.trainEvents} training events${leftOutNote(this.stats)}${this.optionNotes}`
    );
  }

  dispose(): void {
    this.model.dispose();
    for (const b of [this.gpu, this.oneOff]) if (b) disposeBatch(b);
    this.gpu = this.oneOff = this.current = null;
    for (const s of [this.data.train, this.data.validation, this.data.test, this.data.stats]) s?.close();
  }
}

/** The entries the statistics pass could not read, named on the data line. */
function leftOutNote(s: SpanetStatistics): string {
  const bad = s.leftOut ?? [];
  if (!bad.length) return '';
  const named = bad
    .slice(0, 3)
    .map((b) => b.problem)
    .join('; ');
  return ` (left out ${bad.length} unreadable ${bad.length === 1 ? 'entry' : 'entries'}: ${named}${bad.length > 3 ? '; …' : ''}; training pauses at each and offers to skip it)`;
}
