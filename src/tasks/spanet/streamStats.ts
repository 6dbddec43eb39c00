/**
 * What prepareData and the spanet-v2 network take from the training split, computed by one
 * sequential pass over a file in slices (bounded memory: one slice of events plus f64
 * accumulators per column): the workbench's normalisation (jetNorm, globalNorm, regNorm:
 * biased σ, σ = 0 → 1), upstream's (compute_statistics: unbiased σ, σ < 1e-5 → 1; the
 * regression heads' per-type statistics) and classCounts. Events [0, trainEvents) of the pass
 * are the training events; classCounts, as prepareData's, counts every event of the pass.
 *
 * Equality with prepareData: the slices come in file order and each accumulator adds the
 * same f32 values in the same order as prepareData's loops, so the workbench statistics are
 * the same f64 sums; upstream's unbiased σ is merged slice by slice (Chan et al.: per-slice
 * mean and centred sum of squares, exact two-pass inside a slice) where featureStats makes
 * two passes over everything, equal to a few f64 ulps. Laplacian regressions need the median:
 * their training values are kept (4 bytes per training event and laplacian target).
 */
import { StreamDataError, type BatchSource, type StreamBatch } from '../../data/stream/types';
import type { SpanetPayload } from '../../data/stream/spanetReader';
import type { EventSpec, FeatureTransform } from './eventSpec';
import { prepareData, type PreparedData } from './prepare';
import { regressionStats } from './upstreamModel';
import { takeEvents, type SpanetTables } from './tables';
import { applyOptions, mergeOptionsText } from './options';
import { splitRanges } from './split';
import { BalanceCounter, type BalanceWeights } from './balance';
import { SPANET_DEFAULTS, type SpanetConfig } from './spec';

export interface Norm {
  mean: Float32Array;
  std: Float32Array;
}

export interface SpanetStatistics {
  trainEvents: number;
  /** prepareData's */
  jetNorm: Norm;
  globalNorm: Norm;
  regNorm: Norm;
  classCounts: number[];
  /** upstream's (SpanetV2Model's normalisers, per input in spec order; regression heads in spec order) */
  inputNorms: Norm[];
  regressionHeads: { mean: number; std: number }[];
  /** upstream's balance_particles / balance_jets / balance_classifications weights of the training events (balance.ts) */
  balance: BalanceWeights;
  /**
   * Entries the pass could not read (a bad value, a corrupt chunk), left out of the statistics.
   * The training stream still holds them: it pauses there and offers to skip them, as every stream does.
   */
  leftOut: { entry: number; problem: string }[];
}

const hasNorm = (t: FeatureTransform) => t === 'normalize' || t === 'log_normalize';

/** Per column: sequential Σx, Σx² (prepareData's) and merged mean / M2 (upstream's unbiased σ). */
class Columns {
  n: Float64Array;
  s: Float64Array;
  s2: Float64Array;
  mean: Float64Array;
  m2: Float64Array;
  constructor(readonly width: number) {
    this.n = new Float64Array(width);
    this.s = new Float64Array(width);
    this.s2 = new Float64Array(width);
    this.mean = new Float64Array(width);
    this.m2 = new Float64Array(width);
  }

  /** Rows [0, rows) of `values` [rows, width] where valid(r). */
  add(values: Float32Array, rows: number, valid: (r: number) => boolean): void {
    const W = this.width;
    for (let c = 0; c < W; c++) {
      let n = 0,
        s = 0;
      for (let r = 0; r < rows; r++) {
        if (!valid(r)) continue;
        const v = values[r * W + c];
        n++;
        s += v;
        this.s[c] += v;
        this.s2[c] += v * v;
      }
      if (!n) continue;
      const m = s / n;
      let m2 = 0;
      for (let r = 0; r < rows; r++) if (valid(r)) m2 += (values[r * W + c] - m) ** 2;
      const na = this.n[c];
      const nt = na + n;
      const delta = m - this.mean[c];
      this.mean[c] += (delta * n) / nt;
      this.m2[c] += m2 + (delta * delta * na * n) / nt;
      this.n[c] = nt;
    }
  }

  /** prepareData's columnStats. */
  workbench(transforms: FeatureTransform[]): Norm {
    const mean = new Float32Array(this.width),
      std = new Float32Array(this.width).fill(1);
    for (let c = 0; c < this.width; c++) {
      const n = this.n[c];
      if (!hasNorm(transforms[c]) || n === 0) continue;
      const m = this.s[c] / n;
      mean[c] = m;
      std[c] = Math.sqrt(Math.max(this.s2[c] / n - m * m, 0)) || 1;
    }
    return { mean, std };
  }

  /** Upstream's compute_statistics for columns [from, from + count). */
  upstream(transforms: FeatureTransform[], from = 0, count = this.width): Norm {
    const mean = new Float32Array(count),
      std = new Float32Array(count).fill(1);
    for (let k = 0; k < count; k++) {
      const c = from + k;
      if (!hasNorm(transforms[c]) || this.n[c] < 2) continue;
      const sd = Math.sqrt(this.m2[c] / (this.n[c] - 1));
      mean[k] = this.mean[c];
      std[k] = sd < 1e-5 ? 1 : sd;
    }
    return { mean, std };
  }
}

/** Feeds slices in file order; result() gives the statistics. */
export class SpanetStatsAccumulator {
  private seen = 0;
  private trained = 0;
  private jets: Columns;
  private globals: Columns;
  private regs: { n: number; s: number; s2: number; an: number; as: number; as2: number; laplace: number[] | null }[];
  private classMax: number[];
  private D: number;
  private G: number;
  private N = -1;
  private balance: BalanceCounter;

  constructor(
    readonly spec: EventSpec,
    /** events of the pass before this one train */
    private trainEvents: number,
  ) {
    const seq = spec.inputs.find((i) => i.kind === 'sequential')!;
    this.D = seq.features.length;
    this.G = spec.inputs.filter((i) => i.kind === 'global').reduce((a, i) => a + i.features.length, 0);
    this.jets = new Columns(this.D);
    this.globals = new Columns(this.G);
    this.regs = spec.regressions.map((_, r) => ({
      n: 0,
      s: 0,
      s2: 0,
      an: 0,
      as: 0,
      as2: 0,
      laplace: spec.regressionKinds[r] === 'laplacian' ? [] : null,
    }));
    this.classMax = spec.classifications.map(() => 0);
    this.balance = new BalanceCounter(spec);
  }

  /**
   * The next slice of the pass (file order), as the reader delivers it. `trainRows` (sorted
   * rows of the slice): the slice's training events when they are a set (dataset_randomization),
   * instead of the pass's first trainEvents.
   */
  add(all: SpanetTables, trainRows?: Uint32Array): void {
    if (!all.nEvents) return;
    // prepareData's arrays (log features applied) without its statistics
    const d: PreparedData = prepareData(all, this.spec, 0);
    const dt: PreparedData = trainRows?.length ? prepareData(takeEvents(all, trainRows), this.spec, 0) : d;
    if (this.N < 0) this.N = d.N;
    else if (d.N !== this.N) throw new Error(`a slice with ${d.N} jet slots in a pass of ${this.N}`);
    const T = trainRows ? trainRows.length : Math.max(0, Math.min(all.nEvents, this.trainEvents - this.seen));
    this.addTraining(dt, T);
    const C = this.spec.classifications.length;
    for (let c = 0; c < C; c++) for (let e = 0; e < all.nEvents; e++) this.classMax[c] = Math.max(this.classMax[c], d.classes[e * C + c]);
    this.seen += all.nEvents;
    this.trained += T;
  }

  /** Events [0, T) of `d` are training events. */
  private addTraining(d: PreparedData, T: number): void {
    const N = d.N;
    this.jets.add(d.jets, T * N, (r) => d.jetMask[r] === 1);
    this.globals.add(d.globals, T, () => true);
    if (T) this.balance.add(d, 0, T);
    const R = this.spec.regressions.length;
    this.regs.forEach((a, r) => {
      for (let e = 0; e < T; e++) {
        const v = d.regressions[e * R + r];
        if (!Number.isFinite(v)) continue;
        a.n++;
        a.s += v;
        a.s2 += v * v;
        const y = Math.asinh(v / 2);
        a.an++;
        a.as += y;
        a.as2 += y * y;
        a.laplace?.push(v);
      }
    });
  }

  get events(): number {
    return this.seen;
  }

  /** A training event the pass could not read and leaves out (the reader skips it: it is not delivered). */
  leaveOutTrainingEvent(): void {
    this.trainEvents--;
  }

  result(): Omit<SpanetStatistics, 'leftOut'> {
    const spec = this.spec;
    if (this.trained < this.trainEvents)
      throw new Error(`the statistics pass saw ${this.trained} of the ${this.trainEvents} training events`);
    const seq = spec.inputs.find((i) => i.kind === 'sequential')!;
    const jetT = seq.features.map((f) => f.transform);
    const globalSpecs = spec.inputs.filter((i) => i.kind === 'global');
    const globalT = globalSpecs.flatMap((g) => g.features.map((f) => f.transform));
    const regNorm = { mean: new Float32Array(this.regs.length), std: new Float32Array(this.regs.length).fill(1) };
    const regressionHeads = this.regs.map((a, r) => {
      if (a.n) {
        const m = a.s / a.n;
        regNorm.mean[r] = m;
        regNorm.std[r] = Math.sqrt(Math.max(a.s2 / a.n - m * m, 0)) || 1;
      }
      const kind = spec.regressionKinds[r];
      if (kind === 'laplacian') return regressionStats('laplacian', a.laplace!);
      const [n, s, s2] = kind === 'log_gaussian' ? [a.an, a.as, a.as2] : [a.n, a.s, a.s2];
      if (!n) return { mean: 0, std: 1 };
      const m = s / n;
      return { mean: m, std: Math.sqrt(Math.max(s2 / n - m * m, 0)) || 1 };
    });
    let g0 = 0;
    const inputNorms = spec.inputs.map((i) => {
      if (i.kind === 'sequential') return this.jets.upstream(jetT);
      const from = g0;
      g0 += i.features.length;
      return this.globals.upstream(globalT, from, i.features.length);
    });
    return {
      trainEvents: this.trained,
      jetNorm: this.jets.workbench(jetT),
      globalNorm: this.globals.workbench(globalT),
      regNorm,
      classCounts: this.classMax.map((m) => Math.max(2, m + 1)),
      inputNorms,
      regressionHeads,
      balance: this.balance.weights(),
    };
  }
}

/**
 * One pass over `source` (sequential, from the first entry of the file); progress as (events
 * done, events in the pass). `train`: the pass's first `train` events train, or the sorted
 * entry set that trains (dataset_randomization's training range).
 */
export async function spanetStatistics(
  source: BatchSource<SpanetPayload>,
  spec: EventSpec,
  train: number | Uint32Array,
  onProgress?: (done: number, total: number) => void,
  /** entries already skipped on `source` by an earlier read (nextReadable), with their problems */
  skippedBefore: SpanetStatistics['leftOut'] = [],
): Promise<SpanetStatistics> {
  const set = typeof train === 'number' ? null : train;
  const acc = new SpanetStatsAccumulator(spec, set ? set.length : (train as number));
  const leftOut: SpanetStatistics['leftOut'] = [];
  const leaveOut = (b: { entry: number; problem: string }) => {
    leftOut.push(b);
    if (set ? set.includes(b.entry) : b.entry < (train as number)) acc.leaveOutTrainingEvent();
  };
  skippedBefore.forEach(leaveOut);
  source.restart();
  let expect = 0;
  let k = 0; // the next training entry of the set
  const next = () => nextReadable(source, leftOut.length, leaveOut);
  for (let b = await next(); b; b = await next()) {
    if (b.entries.length && b.entries[0] !== expect)
      throw new Error(`the statistics pass must read the file in order from entry 0 (got entry ${b.entries[0]}, expected ${expect})`);
    if (set) {
      const rows: number[] = [];
      b.entries.forEach((e, r) => {
        while (k < set.length && set[k] < e) k++;
        if (set[k] === e) rows.push(r);
      });
      acc.add(b.payload, Uint32Array.from(rows));
    } else acc.add(b.payload);
    expect += b.entries.length + b.skipped;
    onProgress?.(b.place.position + b.entries.length + b.skipped, b.place.epochSize);
  }
  return { ...acc.result(), leftOut };
}

/** More bad entries than this in one pass: the file is broken, not a few events; the pass fails. */
export const MAX_LEFT_OUT = 100;

/**
 * source.next(), leaving out (skip) each entry the reader names as unreadable and telling
 * `leaveOut`; a failure it cannot pin on an entry, or too many of them, ends the pass.
 */
export async function nextReadable<P>(
  source: BatchSource<P>,
  alreadyLeftOut: number,
  leaveOut: (b: { entry: number; problem: string }) => void,
): Promise<StreamBatch<P> | null> {
  for (let n = alreadyLeftOut; ; n++) {
    try {
      return await source.next();
    } catch (err) {
      if (!(err instanceof StreamDataError) || err.entry === null || n >= MAX_LEFT_OUT) throw err;
      leaveOut({ entry: err.entry, problem: err.message });
      source.skip(err.entry);
    }
  }
}

/** Events per slice of the statistics pass (a slice of tt̄ events with 20 jet slots, 6 features: ~2 MB). */
export const SPANET_STATS_SLICE = 4096;

/**
 * prepareData's ranges of a file of `events` under a config (its options file applied):
 * training [0, trainEvents), validation [trainEvents, endEvent), upstream's create_datasets.
 */
export function spanetRanges(events: number, config: Record<string, unknown> = {}): { trainEvents: number; endEvent: number } {
  const c = spanetStreamConfig(config);
  return splitRanges(events, c.testFraction, c.datasetLimit);
}

/** A RUN.json's SPANet config with its options file applied (batch_size, train_validation_split, dataset_limit, …). */
export function spanetStreamConfig(config: Record<string, unknown> = {}): SpanetConfig {
  const base = { ...SPANET_DEFAULTS, ...config } as SpanetConfig;
  return base.optionsJson.trim() ? applyOptions(base, mergeOptionsText(base.optionsJson, base.optionsOverrides)).config : base;
}
