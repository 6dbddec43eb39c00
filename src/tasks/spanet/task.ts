import type { SpanetEvents } from '../../data/spanet/reader';
import { seededRandom } from '../../nn/init';
import type { SpanetModel, SpanetOutputs } from '../../nn/spanet';
import type { Engine } from '../../tensor/engine';
import type { EvalResult, OnnxExportOptions, TaskDefinition, TaskRun } from '../types';
import { exportSpanetV2Onnx } from '../../nn/spanetUpstream/onnxCheck';
import { buildBatch, disposeBatch, rewriteBatch, tokenWidth, uploadBatch, type GpuBatch } from './batch';
import { inferEventSpec, parseEventFile, type EventSpec } from './eventSpec';
import { batchAccuracy, lossScales, spanetLoss, type LossScales } from './loss';
import { buildSpanetOnnx } from './onnx';
import { prepareData, type PreparedData } from './prepare';
import { spanetFeeds } from './onnxFeeds';
import { maxAbsDifference, runOnnx } from '../../export/verifyOnnx';
import { moduleWeights } from '../../nn/namedWeights';
import { syntheticTtbar, TTBAR_EVENT_YAML } from './synthetic';
import { sampleValues, tablesFromEvents, tablesLayout, type SpanetTables } from './tables';
import { simpleSpanetModel } from './simpleModel';
import { spanetSpec, type SpanetConfig } from './spec';
import { applyOptions, fieldOptions, mergeOptionsText, type OptionsApplied, type SpanetOptions } from './options';
import { SpanetV2Model } from './upstreamModel';
import type { Module } from '../../nn/module';
import { upstreamOptimizerPlan, upstreamSchedule, type UpstreamOptimizerPlan, type UpstreamSchedule } from './schedule';
import type { TestReport } from './testReport';
import { evaluateSpanetBatches } from './evaluateBatches';
import { predictBatch } from './predict';
import { balanceWeights } from './balance';
import { isSpanetStreamData, SpanetStreamRun } from './stream';
export type { SpanetConfig } from './spec';
export { SPANET_DEFAULTS } from './spec';

const ONNX_PROB_TOLERANCE = 1e-4;

/**
 * Data for the SPANet task from a loaded file (TaskData):
 *   events     what src/data/spanet/reader.ts readSpanetEvents returns (ragged jets with
 *              their slot positions, TARGETS, REGRESSIONS, CLASSIFICATIONS), or
 *   tables     the same as padded columns (src/tasks/spanet/tables.ts; tests, generators);
 *   eventFile  optional SPANet event YAML text; without it the event description is
 *              inferred from the file (see eventSpec.ts inferEventSpec).
 * Without data the task generates synthetic fully hadronic tt̄ events.
 */
export interface SpanetTaskData {
  events?: SpanetEvents;
  tables?: SpanetTables;
  eventFile?: string;
}

export const spanetTask: TaskDefinition<SpanetConfig> = {
  ...spanetSpec,
  create: (engine, config, data) => {
    if (isSpanetStreamData(data))
      // the options file's optimiser plan and notes as for the in-memory run, over the stream's training events
      return SpanetStreamRun.create(engine, config, data).then((run) => {
        const opts = run.applied;
        if (opts) {
          if (config.optionsOptimizer) run.plan = upstreamOptimizerPlan(opts.options, run.stats.trainEvents);
          run.optionNotes = optionNotes(opts, upstreamSchedule(opts.options, run.stats.trainEvents), run.plan);
        }
        return run;
      });
    const input = data as SpanetTaskData | undefined;
    const yaml = config.eventYaml.trim();
    const opts = config.optionsJson.trim() ? applyOptions(config, mergeOptionsText(config.optionsJson, config.optionsOverrides)) : null;
    const run = new SpanetRun(engine, opts?.config ?? config, yaml ? { ...input, eventFile: yaml } : input, opts?.options);
    if (opts) {
      if (config.optionsOptimizer) run.plan = upstreamOptimizerPlan(opts.options, run.data.trainEvents);
      run.optionNotes = optionNotes(opts, upstreamSchedule(opts.options, run.data.trainEvents), run.plan);
    }
    return run;
  },
};

/** Host copies of one batch's predictions. */
export interface SpanetPrediction {
  /** per particle: log-probabilities [B, N^k] */
  logProbs: Float32Array[];
  /** [B, P] probability that the particle is reconstructable */
  detection: Float32Array;
  /** [B, R] in the targets' units */
  regression: Float32Array;
  /** per classification: [B, C] probabilities */
  classProbs: Float32Array[];
  /** loss terms of the batch */
  terms: Record<string, number>;
}

/** SPANet's two models: upstream's network ('spanet-v2', the default) or the workbench's small one ('simple'). */
export const SPANET_MODELS = ['spanet-v2', 'simple'] as const;

export class SpanetRun implements TaskRun {
  readonly spec: EventSpec;
  readonly data: PreparedData;
  /** the trained network (its state dict: upstream's JetReconstructionNetwork names for spanet-v2) */
  readonly model: Module;
  /** 'simple' only */
  readonly simple: SpanetModel | null = null;
  /** 'spanet-v2' only */
  readonly v2: SpanetV2Model | null = null;
  readonly train: GpuBatch[] = [];
  readonly test: GpuBatch[] = [];
  private scales: LossScales;
  private source: string;

  constructor(
    private engine: Engine,
    readonly config: SpanetConfig,
    input?: SpanetTaskData,
    /** upstream options (an options file); otherwise fieldOptions(config) */
    options?: SpanetOptions,
  ) {
    const c = config;
    if (!(SPANET_MODELS as readonly string[]).includes(c.model))
      throw new Error(`SPANet: unknown model "${c.model}" (one of ${SPANET_MODELS.join(', ')})`);
    const isV2 = c.model === 'spanet-v2';
    let tables: SpanetTables;
    let yaml = input?.eventFile;
    if (input?.tables || input?.events) {
      tables = input.tables ?? tablesFromEvents(input.events!);
      this.source = input.events?.file ?? 'file data';
    } else {
      tables = syntheticTtbar({ events: c.demoEvents, maxJets: c.maxJets, seed: c.seed + 1000 });
      yaml ??= TTBAR_EVENT_YAML;
      this.source = 'synthetic tt̄';
    }
    this.spec = yaml ? parseEventFile(yaml) : inferEventSpec(tablesLayout(tables), (s, f) => sampleValues(tables, s, f));
    this.data = prepareData(tables, this.spec, c.testFraction, c.datasetLimit, c.datasetRandomization);
    const d = this.data;
    const B = c.batchSize;
    const spec = this.spec;
    const up = { network: isV2 };
    for (let s = 0; s + B <= d.trainEvents; s += B) {
      this.train.push(uploadBatch(engine, buildBatch(d, spec, range(s, s + B), B), d, spec, up));
    }
    if (!this.train.length) throw new Error(`batch size ${B} exceeds the ${d.trainEvents} training events`);
    const testEnd = Math.min(d.endEvent, d.trainEvents + c.evalEvents);
    for (let s = d.trainEvents; s < testEnd; s += B) {
      // spanet-v2 test batches hold only real events (its batch norms and attention see no empty events)
      const n = Math.min(s + B, testEnd) - s;
      this.test.push(uploadBatch(engine, buildBatch(d, spec, range(s, s + n), isV2 ? n : B), d, spec, up));
    }
    this.scales = lossScales(c);
    if (isV2) {
      this.v2 = new SpanetV2Model(engine, options ?? fieldOptions(c), spec, d, c.seed);
      // upstream's balance weights come from the training dataset
      this.v2.setBalance(balanceWeights(spec, d));
      this.model = this.v2.network;
      return;
    }
    this.simple = simpleSpanetModel(engine, c, spec, tokenWidth(d), d.classCounts);
    this.model = this.simple;
  }

  parameters() {
    return this.model.parameters();
  }

  batchesPerEpoch() {
    return this.train.length;
  }

  private forward(b: GpuBatch): SpanetOutputs {
    return this.simple!.forward(b, b.host.B, this.data.N);
  }

  /** the epoch whose shuffled batches are uploaded (-1: the file order) */
  private epoch = -1;

  /** Epoch e's batches: events of a permutation seeded by (seed, e), in batches, remainder dropped. */
  private shuffleFor(epoch: number) {
    const d = this.data,
      B = this.config.batchSize;
    const rand = seededRandom(this.config.seed * 7919 + epoch + 1);
    const order = range(0, d.trainEvents);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    this.train.forEach((g, i) => rewriteBatch(this.engine, g, buildBatch(d, this.spec, order.slice(i * B, (i + 1) * B), B)));
    this.epoch = epoch;
  }

  trainStep(step: number) {
    // epochs follow the step count, so a resumed run sees the same batches
    const epoch = Math.floor(step / this.train.length);
    if (this.config.shuffle && epoch !== this.epoch) this.shuffleFor(epoch);
    const b = this.train[step % this.train.length];
    if (this.v2) {
      this.v2.network.train();
      const o = this.v2.forward(b);
      const { loss, terms } = this.v2.loss(o, b, this.scales);
      return { loss, metrics: { ...terms, 'assignment accuracy': this.v2.accuracy(o, b) } };
    }
    const out = this.forward(b);
    const { loss, terms } = spanetLoss(this.engine, out, b, this.spec, this.scales);
    return { loss, metrics: { ...terms, 'assignment accuracy': batchAccuracy(this.engine, out, b, this.spec) } };
  }

  /** Runs the network on one batch (no tape) and reads everything back. */
  async predict(b: GpuBatch): Promise<SpanetPrediction> {
    return predictBatch(
      { engine: this.engine, spec: this.spec, v2: this.v2, simple: this.simple, scales: this.scales, norms: this.data },
      b,
    );
  }

  async evaluate(): Promise<EvalResult> {
    const { result, report } = await evaluateSpanetBatches(
      this.spec,
      this.test.map((gpu) => ({ gpu, data: this.data })),
      (b) => this.predict(b),
    );
    if (report) this.lastTestReport = report;
    return result;
  }

  namedWeights() {
    return moduleWeights(this.model);
  }

  /** The network's state dict (upstream's names for spanet-v2). */
  stateDict() {
    return this.model.stateDict();
  }

  lastOnnxCheck: string | null = null;

  /** The ONNX model in SPANet's interface, checked in onnxruntime-web on the first test batch. */
  async exportOnnx(o: OnnxExportOptions = {}): Promise<Uint8Array> {
    const c = this.config;
    if (this.v2) return exportSpanetV2Onnx(this, o);
    const bytes = await buildSpanetOnnx(
      {
        spec: this.spec,
        data: this.data,
        width: c.width,
        layers: c.layers,
        heads: c.heads,
        assignDim: c.assignDim,
        classCounts: this.data.classCounts,
        weights: await this.namedWeights(),
      },
      { logOutputs: c.logOutputs, inputLogTransform: c.onnxInputLogTransform },
    );
    const batch = this.test[0];
    const events = batch.host.events.filter((x) => x >= 0);
    const [res, pred] = await Promise.all([
      runOnnx(bytes, spanetFeeds(this.spec, this.data, events, { raw: c.onnxInputLogTransform })),
      this.predict(batch),
    ]);
    // Probabilities from two f32 implementations with different summation orders agree to
    // ~1e-5 (tests/spanet/onnx.test.ts); a wrong weight or index is O(0.1).
    let worst = 0;
    this.spec.particles.forEach((p, i) => {
      const n = events.length * this.data.N ** p.products.length;
      const got = res[`${p.name}_assignment_${c.logOutputs ? 'log_probability' : 'probability'}`]?.data;
      if (!got) throw new Error(`ONNX check: no assignment output for ${p.name}`);
      const ours = Array.from(pred.logProbs[i].subarray(0, n), Math.exp);
      worst = Math.max(worst, maxAbsDifference(c.logOutputs ? Array.from(got, Math.exp) : got, ours));
    });
    if (!(worst <= ONNX_PROB_TOLERANCE)) {
      throw new Error(
        `ONNX check failed: onnxruntime-web assignment probabilities differ from the engine by ${worst} (allowed ${ONNX_PROB_TOLERANCE})`,
      );
    }
    this.lastOnnxCheck = `onnxruntime-web agrees on ${events.length} test events: max |Δ assignment probability| = ${worst.toExponential(2)} (tolerance ${ONNX_PROB_TOLERANCE})`;
    return bytes;
  }

  /** spanet.test's tables for the latest evaluation (testReport.ts). */
  lastTestReport: TestReport | null = null;

  /** What the options file left unused (shown with the data). */
  optionNotes = '';

  /** The options file's optimiser and schedule (config optionsOptimizer), which the Trainer applies. */
  plan: UpstreamOptimizerPlan | null = null;

  optimizerPlan() {
    return this.plan;
  }

  describe() {
    const d = this.data;
    const testEvents = this.test.reduce((a, b) => a + b.host.events.filter((x) => x >= 0).length, 0);
    return (
      `${this.source}: ${d.trainEvents} train / ${testEvents} test events, ≤${d.N} jets, particles ` +
      `${this.spec.particles.map((p) => `${p.name}(${p.products.join(',')})`).join(' ')}, ${this.train.length} batches of ${this.config.batchSize}${this.optionNotes}`
    );
  }

  dispose() {
    this.model.dispose();
    for (const b of [...this.train, ...this.test]) disposeBatch(b);
  }
}

function optionNotes(o: OptionsApplied, s: UpstreamSchedule, plan: UpstreamOptimizerPlan | null): string {
  const parts = [
    plan
      ? `options file: ${plan.summary} (applied; the optimiser settings are not used)`
      : `options file: learning_rate ${o.learningRate}, upstream schedule ${s.warmupSteps} warm-up of ${s.totalSteps} steps ` +
        `(${s.stepsPerEpoch} per epoch) not applied (optionsOptimizer off): the optimiser settings apply`,
  ];
  if (o.unknown.length) parts.push(`unknown options ${o.unknown.join(', ')}`);
  if (o.notUsed.length) parts.push(`not used by this model yet: ${o.notUsed.join(', ')}`);
  return `; ${parts.join('; ')}`;
}

function range(a: number, b: number): number[] {
  return Array.from({ length: b - a }, (_, i) => a + i);
}
