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
  create: (engine, config, data) => new ClusteringRun(engine, config, data),
};

class ClusteringRun implements TaskRun {
  readonly model: ClusteringModel;
  private batches: Batch[] = [];
  private test: Batch;
  private source: string;

  constructor(private engine: Engine, private config: ClusteringConfig, data?: TaskData) {
    let train: HitsData;
    let test: HitsData;
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
      const gen = (events: number, seed: number) => generateTrackEvents({
        events, minTracks: config.minTracks, maxTracks: Math.max(config.minTracks, config.maxTracks),
        layers: 10, noiseHits: config.noiseHits, seed,
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

  trainStep(step: number) {
    const { loss, terms } = this.loss(this.batches[step % this.batches.length]);
    return { loss, metrics: { attractive: terms.attractive, repulsive: terms.repulsive, coward: terms.coward, noise: terms.noise } };
  }

  async evaluate() {
    const e = this.engine;
    const out = e.scope(() => {
      const r = this.loss(this.test);
      return { loss: r.loss, terms: r.terms.terms, beta: r.beta, coords: r.coords };
    });
    const [loss, terms, beta, coords] = await Promise.all([out.loss.item(), out.terms.read(), out.beta.read(), out.coords.read()]);
    for (const t of Object.values(out)) t.dispose();
    const L = this.config.latentDims;
    const d = this.test.data;
    const pred = new Int32Array(beta.length);
    const total = { objects: 0, matched: 0, perfect: 0, clusters: 0, puritySum: 0 };
    for (let ev = 0; ev + 1 < d.eventOffsets.length; ev++) {
      const h0 = d.eventOffsets[ev], h1 = d.eventOffsets[ev + 1];
      const labels = condense(beta.subarray(h0, h1), coords.subarray(h0 * L, h1 * L), L, this.config.tBeta, this.config.tD);
      pred.set(labels, h0);
      const c = clusterCounts(d.objectId.subarray(h0, h1), labels);
      for (const k of Object.keys(total) as (keyof typeof total)[]) total[k] += c[k];
    }
    const scalars = {
      loss,
      attractive: terms[0], repulsive: terms[1], coward: terms[2], noise: terms[3],
      efficiency: total.objects ? total.matched / total.objects : 0,
      purity: total.clusters ? total.puritySum / total.clusters : 0,
      perfect: total.objects ? total.perfect / total.objects : 0,
    };
    return { scalars, figures: this.figures(beta, coords, pred) };
  }

  /** Event display of the first test event (truth and prediction) and its latent space. */
  private figures(beta: Float32Array, coords: Float32Array, pred: Int32Array): EvalFigure[] {
    const d = this.test.data;
    const n = d.eventOffsets[1];
    const L = this.config.latentDims;
    const col = (c: number) => Array.from({ length: n }, (_, i) => d.features[i * d.width + c]);
    const truth = Array.from(d.objectId.subarray(0, n));
    const predicted = Array.from(pred.subarray(0, n));
    return [
      { id: 'event-truth', title: 'test event 0: hits by truth object (0 = noise)', kind: 'scatter', x: col(0), y: col(1), color: truth, xLabel: 'x', yLabel: 'y' },
      { id: 'event-prediction', title: 'test event 0: hits by predicted cluster (-1 = unassigned)', kind: 'scatter', x: col(0), y: col(1), color: predicted, xLabel: 'x', yLabel: 'y' },
      {
        id: 'latent', title: 'test event 0: cluster space by truth object', kind: 'scatter',
        x: Array.from({ length: n }, (_, i) => coords[i * L]), y: Array.from({ length: n }, (_, i) => (L > 1 ? coords[i * L + 1] : beta[i])),
        color: truth, xLabel: 'c₀', yLabel: L > 1 ? 'c₁' : 'β',
      },
    ];
  }

  namedWeights() {
    return moduleWeights(this.model);
  }

  describe() {
    const hits = this.batches.reduce((a, b) => a + b.data.objectId.length, 0);
    return `${this.source}; ${this.batches.length} batches, ${(hits / Math.max(1, this.batches.length)).toFixed(0)} hits per batch`;
  }

  dispose() {
    this.model.dispose();
    for (const b of [...this.batches, this.test]) {
      b.features.dispose();
      b.layout.dispose();
      b.graph.dispose();
    }
  }
}
