/**
 * Clustering with object condensation: a per-hit network predicts a condensation likelihood
 * β (sigmoid) and cluster coordinates; the OC loss (fused kernels) trains it; inference picks
 * condensation points with β > tβ and assigns hits within radius t_d.
 *
 * Model: MLP encoder → one message-passing layer h' = relu(W_s h + W_n mean_{kNN} h) over the
 * k nearest hits of the same event in detector coordinates (fixed lists built at data load,
 * see neighbours.ts) → MLP → β head and coordinate head.
 */
import { seededRandom } from '../../nn/init';
import { Linear } from '../../nn/linear';
import type { Engine } from '../../tensor/engine';
import { add, relu, sigmoid } from '../../tensor/ops/elementwise';
import { reshape } from '../../tensor/ops/reshape';
import type { Tensor } from '../../tensor/tensor';
import { buildOcLayout, condensationLoss, uploadOcLayout, weightedOcLoss, type OcLayout } from '../../losses/oc';
import { Module } from '../../nn/module';
import { moduleWeights } from '../../nn/namedWeights';
import type { EvalFigure, TaskData, TaskDefinition, TaskRun } from '../types';
import { generateTrackEvents, isHitsData, sliceEvents, trainableEvents, type HitsData, type TrainableEvents } from './data';
import { clusterCounts, condense } from './inference';
import { hitPositions, knnGraph, neighbourMean, uploadGraph, type NeighbourGraph } from './neighbours';
import { clusteringSpec, type ClusteringConfig } from './spec';
import { isHitsStreamData, type HitsPayload, type HitsStreamData } from './stream';
import type { BatchSource, StreamPosition } from '../../data/stream/types';
export type { ClusteringConfig } from './spec';

interface Batch {
  features: Tensor<'f32'>;
  layout: OcLayout;
  graph: NeighbourGraph;
  data: HitsData;
}

/** Children named as the layers' roles; their state-dict keys are `enc1.weight`, `mp_self.bias`, …. */
class ClusteringModel extends Module {
  readonly enc1: Linear;
  readonly enc2: Linear;
  readonly self: Linear;
  readonly nb: Linear;
  readonly head: Linear;
  readonly beta: Linear;
  readonly coords: Linear;

  constructor(e: Engine, width: number, hidden: number, latent: number, rand: () => number) {
    super(e);
    this.enc1 = this.registerModule('enc1', new Linear(e, width, hidden, 'relu', rand));
    this.enc2 = this.registerModule('enc2', new Linear(e, hidden, hidden, 'relu', rand));
    this.self = this.registerModule('mp_self', new Linear(e, hidden, hidden, 'none', rand));
    this.nb = this.registerModule('mp_neighbours', new Linear(e, hidden, hidden, 'none', rand));
    this.head = this.registerModule('head', new Linear(e, hidden, hidden, 'relu', rand));
    this.beta = this.registerModule('beta', new Linear(e, hidden, 1, 'none', rand));
    this.coords = this.registerModule('coords', new Linear(e, hidden, latent, 'none', rand));
  }

  forward(features: Tensor<'f32'>, graph: NeighbourGraph): { beta: Tensor<'f32'>; coords: Tensor<'f32'> } {
    const h = this.enc2.forward(this.enc1.forward(features));
    const m = relu(add(this.self.forward(h), this.nb.forward(neighbourMean(h, graph))));
    const z = this.head.forward(m);
    const beta = reshape(sigmoid(this.beta.forward(z)), [features.shape[0]]);
    return { beta, coords: this.coords.forward(z) };
  }
}

function describeSkipped(t: TrainableEvents): string {
  const list = (names: string[]) => names.slice(0, 5).join(', ') + (names.length > 5 ? ', …' : '');
  const parts: string[] = [];
  if (t.empty.length) parts.push(`${t.empty.length} empty (${list(t.empty)})`);
  if (t.allNoise.length) parts.push(`${t.allNoise.length} all-noise (${list(t.allNoise)})`);
  return parts.length ? `; skipped ${parts.join(' and ')} events` : '';
}

export const clusteringTask: TaskDefinition<ClusteringConfig> = {
  ...clusteringSpec,
  create: (engine, config, data) =>
    isHitsStreamData(data) ? ClusteringRun.fromStream(engine, config, data) : new ClusteringRun(engine, config, data),
};

/** Events the loss can use from a streamed batch (empty and all-noise events left out), or null. */
function usableBatch(p: HitsPayload): HitsData | null {
  const t = trainableEvents(p);
  return t.data.eventOffsets.length > 1 ? t.data : null;
}

class ClusteringRun implements TaskRun {
  readonly model: ClusteringModel;
  private batches: Batch[] = [];
  private test!: Batch;
  private source: string;
  /** Streaming: the sources, and the uploaded batch of each pending step. */
  private stream: HitsStreamData | null = null;
  private pending = new Map<number, Batch>();
  private first: HitsData | null = null;
  /** In-memory data only: a streamed run's epochs are the stream's. */
  batchesPerEpoch?: () => number;

  /** A run that trains from streams; the first training batch gives the feature width. */
  static async fromStream(engine: Engine, config: ClusteringConfig, data: HitsStreamData): Promise<ClusteringRun> {
    let first: HitsData | null = null;
    for (let tries = 0; !first && tries < 100; tries++) {
      const b = await data.train.next();
      if (!b) break;
      first = usableBatch(b.payload);
    }
    if (!first) throw new Error(`${data.train.stats().file}: no batch with an object to train on`);
    return new ClusteringRun(engine, config, first as unknown as TaskData, data);
  }

  constructor(
    private engine: Engine,
    private config: ClusteringConfig,
    data?: TaskData,
    stream?: HitsStreamData,
  ) {
    let train: HitsData;
    let test: HitsData;
    if (stream) {
      this.stream = stream;
      this.first = data as unknown as HitsData;
      this.model = new ClusteringModel(engine, this.first.width, config.hidden, config.latentDims, seededRandom(config.seed));
      this.source =
        `${stream.label ?? stream.train.stats().file}: streaming ${stream.train.stats().epochSize} training entries per epoch` +
        (stream.validation ? `, validating on ${stream.validation.stats().epochSize} entries of ${stream.validation.stats().file}` : '');
      return;
    }
    this.batchesPerEpoch = () => this.batches.length;
    if (data && isHitsData(data)) {
      const usable = trainableEvents(data);
      const events = usable.data.eventOffsets.length - 1;
      const skipped = describeSkipped(usable);
      if (events < 2) throw new Error(`the hits file needs at least 2 events with an object (train and test), it has ${events}${skipped}`);
      const cut = Math.max(1, Math.min(events - 1, Math.round(events * 0.8)));
      train = sliceEvents(usable.data, 0, cut);
      test = sliceEvents(usable.data, cut, events);
      this.source = `file: ${cut} train / ${events - cut} test events${skipped}`;
    } else {
      if (data) throw new Error('the clustering task needs hits data ({kind: "hits", features, width, objectId, eventOffsets})');
      const gen = (events: number, seed: number) =>
        generateTrackEvents({
          events,
          minTracks: config.minTracks,
          maxTracks: Math.max(config.minTracks, config.maxTracks),
          layers: 10,
          noiseHits: config.noiseHits,
          seed,
        });
      train = gen(config.trainEvents, config.seed + 1);
      test = gen(config.testEvents, config.seed + 2);
      this.source = `synthetic: ${config.trainEvents} train / ${config.testEvents} test events`;
    }
    this.model = new ClusteringModel(engine, train.width, config.hidden, config.latentDims, seededRandom(config.seed));
    const events = train.eventOffsets.length - 1;
    const per = Math.max(1, Math.min(config.eventsPerBatch, events));
    for (let s = 0; s + per <= events; s += per) this.batches.push(this.upload(sliceEvents(train, s, s + per)));
    this.test = this.upload(test);
  }

  /** Features, OC layout and neighbour lists of one packed batch, uploaded once. */
  private upload(d: HitsData): Batch {
    const e = this.engine;
    const n = d.objectId.length;
    const { pos, dims } = hitPositions(d);
    return {
      features: e.fromArray(d.features, [n, d.width]).keep(),
      layout: uploadOcLayout(e, buildOcLayout(d.objectId, { noiseThreshold: 0, eventOffsets: d.eventOffsets })),
      graph: uploadGraph(e, knnGraph(pos, dims, d.eventOffsets, this.config.neighbours)),
      data: d,
    };
  }

  private loss(b: Batch) {
    const { beta, coords } = this.model.forward(b.features, b.graph);
    const terms = condensationLoss({ beta, x: coords, objectId: b.layout, qMin: this.config.qMin });
    const c = this.config;
    // a batch without noise hits has a NaN noise term: a zero weight drops it
    const noise = b.layout.host.eventsWithNoise ? c.wNoise : 0;
    const loss = weightedOcLoss(terms, { attractive: c.wAttractive, repulsive: c.wRepulsive, coward: c.wCoward, noise });
    return { loss, terms, beta, coords };
  }

  parameters() {
    return this.model.parameters();
  }

  async nextBatch(step: number): Promise<void> {
    // Built-in and in-memory data keep their fixed batches (trainStep picks them by step).
    if (!this.stream) return;
    const s = this.stream;
    for (const [k, b] of this.pending)
      if (k < step) {
        this.release(b);
        this.pending.delete(k);
      }
    let d = this.first;
    this.first = null;
    while (!d) {
      const b = await s.train.next();
      if (!b) throw new Error('the training stream ended');
      d = usableBatch(b.payload);
    }
    this.pending.set(step, this.upload(d));
  }

  skipEntry(entry: number): void {
    this.stream?.train.skip(entry);
  }

  streamStats() {
    return this.stream!.train.stats();
  }

  /** null while the first usable batch (read at create for the feature width) waits for step 0. */
  streamState(): StreamPosition | null {
    return !this.stream || this.first ? null : this.stream.train.position();
  }

  restoreStream(p: StreamPosition): void {
    if (!this.stream) throw new Error('clustering: this run does not stream, there is no stream position to restore');
    this.first = null;
    this.stream.train.seek(p);
  }

  private release(b: Batch): void {
    b.features.dispose();
    b.layout.dispose();
    b.graph.dispose();
  }

  trainStep(step: number) {
    const batch = this.stream ? this.pending.get(step) : this.batches[step % this.batches.length];
    if (!batch) throw new Error(`clustering stream: no batch fetched for step ${step} (call nextBatch first)`);
    const { loss, terms } = this.loss(batch);
    return { loss, metrics: { attractive: terms.attractive, repulsive: terms.repulsive, coward: terms.coward, noise: terms.noise } };
  }

  async evaluate() {
    if (this.stream) {
      if (!this.stream.validation)
        throw new Error('clustering stream: no validation data (give a validation file or a split of the training file)');
      return this.evaluateStream(this.stream.validation);
    }
    return this.evaluateBatch(this.test);
  }

  async evaluateTest() {
    if (!this.stream?.test) throw new Error('clustering: no test file');
    return this.evaluateStream(this.stream.test);
  }

  /** One pass over `source`: metrics summed over its batches (loss terms weighted by hits), figures of its first batch. */
  private async evaluateStream(source: BatchSource<HitsPayload>) {
    source.restart();
    const sums: Record<string, number> = {};
    let weight = 0;
    let figures: EvalFigure[] | undefined;
    let entries = 0;
    const counts = { objects: 0, clusters: 0 };
    for (let b = await source.next(); b; b = await source.next()) {
      const d = usableBatch(b.payload);
      if (!d) continue;
      const batch = this.upload(d);
      try {
        const r = await this.evaluateBatch(batch);
        figures ??= r.figures;
        const w = d.objectId.length;
        for (const [k, v] of Object.entries(r.scalars))
          if (!['efficiency', 'purity', 'perfect'].includes(k)) sums[k] = (sums[k] ?? 0) + v * w;
        weight += w;
        for (const k of ['matched', 'perfect', 'puritySum', 'objects', 'clusters'] as const)
          sums[`#${k}`] = (sums[`#${k}`] ?? 0) + r.totals[k];
        counts.objects = sums['#objects'];
        counts.clusters = sums['#clusters'];
        entries += b.entries.length;
      } finally {
        this.release(batch);
      }
    }
    if (!weight) throw new Error(`${source.stats().file}: the evaluation stream has no event with an object`);
    const scalars: Record<string, number> = {};
    for (const [k, v] of Object.entries(sums)) if (!k.startsWith('#')) scalars[k] = v / weight;
    scalars.efficiency = counts.objects ? sums['#matched'] / counts.objects : 0;
    scalars.purity = counts.clusters ? sums['#puritySum'] / counts.clusters : 0;
    scalars.perfect = counts.objects ? sums['#perfect'] / counts.objects : 0;
    scalars.entries = entries;
    return { scalars, figures };
  }

  private async evaluateBatch(batch: Batch) {
    const e = this.engine;
    const out = e.scope(() => {
      const r = this.loss(batch);
      return { loss: r.loss, terms: r.terms.terms, beta: r.beta, coords: r.coords };
    });
    const [loss, terms, beta, coords] = await Promise.all([out.loss.item(), out.terms.read(), out.beta.read(), out.coords.read()]);
    for (const t of Object.values(out)) t.dispose();
    const L = this.config.latentDims;
    const d = batch.data;
    const pred = new Int32Array(beta.length);
    const total = { objects: 0, matched: 0, perfect: 0, clusters: 0, puritySum: 0 };
    for (let ev = 0; ev + 1 < d.eventOffsets.length; ev++) {
      const h0 = d.eventOffsets[ev],
        h1 = d.eventOffsets[ev + 1];
      const labels = condense(beta.subarray(h0, h1), coords.subarray(h0 * L, h1 * L), L, this.config.tBeta, this.config.tD);
      pred.set(labels, h0);
      const c = clusterCounts(d.objectId.subarray(h0, h1), labels);
      for (const k of Object.keys(total) as (keyof typeof total)[]) total[k] += c[k];
    }
    const scalars = {
      loss,
      attractive: terms[0],
      repulsive: terms[1],
      coward: terms[2],
      noise: terms[3],
      efficiency: total.objects ? total.matched / total.objects : 0,
      purity: total.clusters ? total.puritySum / total.clusters : 0,
      perfect: total.objects ? total.perfect / total.objects : 0,
    };
    return { scalars, figures: this.figures(d, beta, coords, pred), totals: total };
  }

  /** Event display of the first test event (truth and prediction) and its latent space. */
  private figures(d: HitsData, beta: Float32Array, coords: Float32Array, pred: Int32Array): EvalFigure[] {
    const n = d.eventOffsets[1];
    const L = this.config.latentDims;
    const col = (c: number) => Array.from({ length: n }, (_, i) => d.features[i * d.width + c]);
    const truth = Array.from(d.objectId.subarray(0, n));
    const predicted = Array.from(pred.subarray(0, n));
    return [
      {
        id: 'event-truth',
        title: 'test event 0: hits by truth object (0 = noise)',
        kind: 'scatter',
        x: col(0),
        y: col(1),
        color: truth,
        xLabel: 'x',
        yLabel: 'y',
      },
      {
        id: 'event-prediction',
        title: 'test event 0: hits by predicted cluster (-1 = unassigned)',
        kind: 'scatter',
        x: col(0),
        y: col(1),
        color: predicted,
        xLabel: 'x',
        yLabel: 'y',
      },
      {
        id: 'latent',
        title: 'test event 0: cluster space by truth object',
        kind: 'scatter',
        x: Array.from({ length: n }, (_, i) => coords[i * L]),
        y: Array.from({ length: n }, (_, i) => (L > 1 ? coords[i * L + 1] : beta[i])),
        color: truth,
        xLabel: 'c₀',
        yLabel: L > 1 ? 'c₁' : 'β',
      },
    ];
  }

  namedWeights() {
    return moduleWeights(this.model);
  }

  describe() {
    if (this.stream) return this.source;
    const hits = this.batches.reduce((a, b) => a + b.data.objectId.length, 0);
    return `${this.source}; ${this.batches.length} batches, ${(hits / Math.max(1, this.batches.length)).toFixed(0)} hits per batch`;
  }

  dispose() {
    this.model.dispose();
    if (this.stream) {
      for (const b of this.pending.values()) this.release(b);
      this.pending.clear();
      for (const s of [this.stream.train, this.stream.validation, this.stream.test]) s?.close();
      return;
    }
    for (const b of [...this.batches, this.test]) {
      b.features.dispose();
      b.layout.dispose();
      b.graph.dispose();
    }
  }
}
