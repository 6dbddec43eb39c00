/**
 * The 'spanet-v2' model of the SPANet task: upstream's JetReconstructionNetwork
 * (src/nn/spanetUpstream) with the statistics upstream takes from the training split, fed
 * from the task's batches, and trained with upstream's training_step loss: the symmetric
 * assignment + detection terms (upstreamLossGpu.ts), per-target regression terms by
 * regression type and classification cross-entropies, the mean of the active terms; with the
 * options' balance_particles / balance_jets / balance_classifications the run's balance
 * weights (balance.ts, setBalance) and with kl_loss_scale upstream's symmetric KL term.
 */
import { UpstreamJetReconstructionNetwork } from '../../nn/spanetUpstream/network';
import { assignmentAccuracy } from '../../tensor/ops/assignment';
import { add, mul, scale, sub } from '../../tensor/ops/elementwise';
import { softmaxCrossEntropy } from '../../tensor/ops/losses';
import { sumAxes } from '../../tensor/ops/reduceAxes';
import { reshape } from '../../tensor/ops/reshape';
import { slice } from '../../tensor/ops/shape';
import { abs, square } from '../../tensor/ops/unary';
import { div } from '../../tensor/ops/broadcast';
import type { Engine } from '../../tensor/engine';
import type { Tensor } from '../../tensor/tensor';
import type { GpuBatch } from './batch';
import type { EventSpec, RegressionKind } from './eventSpec';
import type { LossScales, SpanetLoss } from './loss';
import type { SpanetOptions } from './options';
import type { PreparedData } from './prepare';
import { upstreamKlLoss, upstreamSymmetricLoss } from './upstreamLossGpu';
import { eventTranspositions } from './upstreamLoss';
import { balanceUse, slotWeights, type BalanceUse, type BalanceWeights } from './balance';
import { BalanceState } from './balanceState';

type F = Tensor<'f32'>;

/** The network's outputs in the task's layout. */
export interface V2Outputs {
  /** per particle: log-probabilities [B, N^k] (first product most significant, −inf for invalid tuples) */
  logProbs: F[];
  /** per particle: detection logits [B] */
  detection: F[];
  /** per regression (spec order): [B] in the target's units */
  regression: F[];
  /** per classification (spec order): logits [B, C] */
  classLogits: F[];
}

/** μ, σ of one input's features as upstream's compute_statistics: over real vectors, unbiased σ, σ < 1e-5 → 1, identity unless normalised. */
function featureStats(values: Float32Array, width: number, rows: number, valid: (r: number) => boolean, normalized: boolean[]) {
  const mean = new Float32Array(width),
    std = new Float32Array(width).fill(1);
  for (let c = 0; c < width; c++) {
    if (!normalized[c]) continue;
    let n = 0,
      s = 0;
    for (let r = 0; r < rows; r++) {
      if (!valid(r)) continue;
      n++;
      s += values[r * width + c];
    }
    if (n < 2) continue;
    const m = s / n;
    let ss = 0;
    for (let r = 0; r < rows; r++) if (valid(r)) ss += (values[r * width + c] - m) ** 2;
    const sd = Math.sqrt(ss / (n - 1));
    mean[c] = m;
    std[c] = sd < 1e-5 ? 1 : sd;
  }
  return { mean, std };
}

/** Upstream's regression statistics per type (spanet/dataset/regressions): gaussian mean/σ, laplacian median/mean |x − median|, log_gaussian on arcsinh(x/2). */
export function regressionStats(kind: RegressionKind, values: number[]): { mean: number; std: number } {
  const v = values.filter(Number.isFinite);
  if (!v.length) return { mean: 0, std: 1 };
  if (kind === 'laplacian') {
    const s = [...v].sort((a, b) => a - b);
    // torch.median: the lower of the two middle values
    const median = s[Math.floor((s.length - 1) / 2)];
    const dev = s.reduce((a, x) => a + Math.abs(x - median), 0) / s.length;
    return { mean: median, std: dev || 1 };
  }
  const x = kind === 'log_gaussian' ? v.map((y) => Math.asinh(y / 2)) : v;
  const m = x.reduce((a, y) => a + y, 0) / x.length;
  const sd = Math.sqrt(Math.max(x.reduce((a, y) => a + y * y, 0) / x.length - m * m, 0));
  return { mean: m, std: sd || 1 };
}

export class SpanetV2Model {
  readonly network: UpstreamJetReconstructionNetwork;

  constructor(
    readonly engine: Engine,
    readonly options: SpanetOptions,
    readonly spec: EventSpec,
    /** the task's data (statistics from its training events), or null: a state dict will bring them */
    data: PreparedData | null,
    seed: number,
    private readonly classCounts: number[] = data?.classCounts ?? [],
  ) {
    this.use = balanceUse(options);
    this.transpositions = eventTranspositions(spec.eventPerms);
    const classes = Object.fromEntries(spec.classifications.map((p, i) => [p, classCounts[i]]));
    this.network = new UpstreamJetReconstructionNetwork(engine, options, spec, classes, seed);
    if (data) this.setStatistics(data);
  }

  private readonly use: BalanceUse;
  /** the balance tensors, also in the network's state dict under upstream's names (balanceState.ts) */
  private balance: BalanceState | null = null;
  private readonly transpositions: [number, number][];

  /**
   * The balance weights of the training events (upstream: from the training dataset); needed when
   * the options balance. They become state-dict entries of the network as upstream's
   * (particle_index_tensor, particle_weights_tensor, jet_weights_tensor, classification_weights.*,
   * each only with its option on); a loaded state dict's entries replace them.
   */
  setBalance(w: BalanceWeights): void {
    this.balance?.dispose();
    this.balance = new BalanceState(this.engine, this.use, this.spec.particles.length, this.spec.classifications, this.classCounts, w);
    this.network.baseState = this.balance;
  }

  /** The balance weights the loss uses (after a load: the state dict's), or null before setBalance. */
  get balanceWeights(): BalanceWeights | null {
    return this.balance?.weights ?? null;
  }

  /** [B, 1] per-event balance weights of a batch, or undefined when the options use none. */
  private eventWeights(b: GpuBatch): F | undefined {
    if (!this.use.particles && !this.use.jets) return undefined;
    if (!this.balance)
      throw new Error('spanet-v2: balance_particles / balance_jets are on but the run gave no balance weights (setBalance)');
    const B = b.host.B,
      N = b.host.jetMask.length / B;
    const globals = this.spec.inputs.filter((i) => i.kind === 'global').length;
    const vectors = Int32Array.from({ length: B }, (_, i) => {
      let n = globals;
      for (let j = 0; j < N; j++) n += b.host.jetMask[i * N + j];
      return n;
    });
    const w = slotWeights(this.balance.weights, this.use, this.spec.particles.length, b.host.detection, vectors);
    return this.engine.fromArray(w, [B, 1]);
  }

  /** The normalisers' and regression heads' statistics from the training events (upstream: from the training dataset). */
  private setStatistics(d: PreparedData): void {
    const e = this.engine;
    const T = d.trainEvents;
    const write = (t: F, v: Float32Array) => e.gpu.write(t.buffer, v);
    this.network.embedding.inputs.forEach((emb) => {
      const norm = emb.normalizer;
      if (!norm) return;
      const normalized = emb.input.features.map((f) => f.transform === 'normalize' || f.transform === 'log_normalize');
      if (emb.input.kind === 'sequential') {
        const s = featureStats(d.jets, d.D, T * d.N, (r) => d.jetMask[r] === 1, normalized);
        write(norm.mean, s.mean);
        write(norm.std, s.std);
      } else {
        const slice = d.globalSlices.find((g) => g.name === emb.input.name)!;
        const cols = new Float32Array(T * slice.count);
        for (let ev = 0; ev < T; ev++)
          for (let c = 0; c < slice.count; c++) cols[ev * slice.count + c] = d.globals[ev * d.G + slice.start + c];
        const s = featureStats(cols, slice.count, T, () => true, normalized);
        write(norm.mean, s.mean);
        write(norm.std, s.std);
      }
    });
    const R = this.spec.regressions.length;
    this.network.regressionDecoder.networks.entries.forEach(([, head], r) => {
      const values: number[] = [];
      for (let ev = 0; ev < T; ev++) values.push(d.regressions[ev * R + r]);
      const s = regressionStats(head.kind, values);
      write(head.mean, Float32Array.of(s.mean));
      write(head.std, Float32Array.of(s.std));
    });
  }

  forward(b: GpuBatch): V2Outputs {
    if (!b.sources) throw new Error('spanet-v2: the batch was uploaded without its network inputs');
    const B = b.host.B;
    const out = this.network.forward(b.sources.map((data, i) => ({ data, mask: b.host.sources[i].mask })));
    return {
      logProbs: out.assignments.map((a) => reshape(a, [B, a.size / B])),
      detection: out.detections,
      regression: this.spec.regressions.map((p) => out.regressions[p]),
      classLogits: this.spec.classifications.map((p) => out.classifications[p]),
    };
  }

  /** Upstream's training_step loss; the terms as upstream logs them (per particle scaled, regression / classification unscaled). */
  loss(out: V2Outputs, b: GpuBatch, s: LossScales): SpanetLoss {
    const spec = this.spec;
    const B = b.host.B;
    const ew = this.eventWeights(b);
    const r = upstreamSymmetricLoss(
      out.logProbs,
      out.detection,
      spec.particles.map((p) => p.productPerms.length),
      b.permuted,
      {
        assignment_loss_scale: s.assignment,
        detection_loss_scale: s.detection,
        regression_loss_scale: s.regression,
        classification_loss_scale: s.classification,
        focal_gamma: s.focalGamma ?? 0,
        combine_pair_loss: s.combinePairLoss ?? 'min',
      },
      ew,
    );
    const terms: Record<string, F> = {};
    const active: F[] = [];
    spec.particles.forEach((p, i) => {
      terms[`assignment ${p.name}`] = r.assignment[i];
      terms[`detection ${p.name}`] = r.detection[i];
    });
    if (s.assignment > 0) active.push(...r.assignment);
    if (s.detection > 0) active.push(...r.detection);
    terms.assignment = r.assignment.reduce((a, x) => add(a, x));
    terms.detection = r.detection.reduce((a, x) => add(a, x));
    const kl = Number(this.options.kl_loss_scale);
    // upstream adds no term when the event group has no transpositions
    if (kl > 0 && this.transpositions.length) {
      const t = upstreamKlLoss(out.logProbs, r.permutedMask, this.transpositions, ew ?? null);
      terms['symmetric loss'] = t;
      active.push(scale(t, kl));
    }
    const kinds = spec.regressionKinds;
    const heads = this.network.regressionDecoder.networks.entries;
    out.regression.forEach((pred, i) => {
      const target = reshape(slice(b.regressionsRaw!, 1, i, i + 1), [B]);
      const w = reshape(slice(b.regressionWeights, 1, i, i + 1), [B]);
      const diff = sub(pred, target);
      // per-event term by type; w = 1/(events with a value) or 0, so the sum is upstream's masked mean
      const per = kinds[i] === 'laplacian' ? abs(diff) : square(diff);
      // the head's own σ (state, so a loaded checkpoint's statistics count), as upstream's loss reads it
      const std = heads[i][1].std;
      const sum = sumAxes(mul(per, w));
      const t = kinds[i] === 'laplacian' ? div(sum, std) : kinds[i] === 'log_gaussian' ? sum : div(sum, square(std));
      terms[`regression ${spec.regressions[i]}`] = t;
      if (s.regression > 0) active.push(scale(t, s.regression));
    });
    out.classLogits.forEach((logits, i) => {
      if (this.use.classifications && !this.balance)
        throw new Error('spanet-v2: balance_classifications is on but the run gave no balance weights (setBalance)');
      const t = softmaxCrossEntropy(logits, b.classes[i], this.use.classifications ? this.balance!.classWeights[i] : undefined);
      terms[`classification ${spec.classifications[i]}`] = t;
      if (s.classification > 0) active.push(scale(t, s.classification));
    });
    if (!active.length) throw new Error('every loss scale is 0: nothing to train');
    return {
      loss: scale(
        active.reduce((a, x) => add(a, x)),
        1 / active.length,
      ),
      terms,
    };
  }

  /** Batch assignment accuracy (argmax per particle, best event permutation); a metric only. */
  accuracy(out: V2Outputs, b: GpuBatch): F {
    return assignmentAccuracy(this.engine, b.targets, out.logProbs, {
      B: b.host.B,
      P: this.spec.particles.length,
      G: this.spec.eventPerms.length,
    });
  }

  dispose(): void {
    this.balance?.dispose();
    this.network.baseState = null;
    this.network.dispose();
  }
}
