import type { Engine } from '../../tensor/engine';
import type { Tensor } from '../../tensor/tensor';
import type { EventSpec } from './eventSpec';
import { flatIndex, type PreparedData } from './prepare';
import {
  disposePermutedTargets,
  permutedTargetsHost,
  uploadPermutedTargets,
  type PermutedTargets,
  type PermutedTargetsHost,
} from './upstreamLossGpu';

/**
 * One fixed-size batch on the host. Token rows follow attention.wgsl: B·N jet tokens, then
 * B event tokens. Token features [D jet | G global | is-jet | is-event], normalised, so one
 * linear layer embeds jets and the event token with separate weights and biases.
 */
export interface HostBatch {
  B: number;
  /** event index per slot, -1 for padding slots */
  events: number[];
  tokens: Float32Array; // [B*N + B, D + G + 2]
  attnMask: Uint32Array; // [B, N + 1]
  jetMask: Uint32Array; // [B, N]
  targets: Int32Array; // [G_perm, B, P]
  detection: Int32Array; // [B * P]: 1 when the particle is present (see PreparedData.present), -1 on padding
  regressions: Float32Array; // [B, R] normalised, NaN → 0
  /** [B, R]: 1 / (events of the batch with a value for r) where event b has one, else 0 (upstream masks NaN) */
  regressionWeights: Float32Array;
  classes: Int32Array[]; // per classification: [B]
  /** upstream's loss tables: targets of σ_g(p) per [B, G] (indices clamped to ≥ 0 as upstream, padding weight 0) */
  permuted: PermutedTargetsHost;
  /** the upstream network's inputs, in the event file's input order (see networkSources) */
  sources: HostSource[];
  /** [B, R] raw regression targets, NaN → 0 (regressionWeights masks them) */
  regressionsRaw: Float32Array;
}

/** One input as upstream's dataset hands it to the network: data [B, T, F] (log features log(x + 1), not normalised), mask [B·T]. */
export interface HostSource {
  data: Float32Array;
  shape: [number, number, number];
  mask: Uint8Array;
}

/** Per input in file order: the jets (sequential) or one vector per event (global); padding slots are all masked. */
export function networkSources(d: PreparedData, spec: EventSpec, slots: number[]): HostSource[] {
  const B = slots.length;
  return spec.inputs.map((input) => {
    if (input.kind === 'sequential') {
      const { N, D } = d;
      const data = new Float32Array(B * N * D),
        mask = new Uint8Array(B * N);
      slots.forEach((e, b) => {
        if (e < 0) return;
        data.set(d.jets.subarray(e * N * D, (e + 1) * N * D), b * N * D);
        mask.set(d.jetMask.subarray(e * N, (e + 1) * N), b * N);
      });
      return { data, shape: [B, N, D], mask };
    }
    const g = d.globalSlices.find((x) => x.name === input.name);
    if (!g) throw new Error(`spanet-v2: no global input ${input.name} in the prepared data`);
    const data = new Float32Array(B * g.count),
      mask = new Uint8Array(B);
    slots.forEach((e, b) => {
      if (e < 0) return;
      for (let c = 0; c < g.count; c++) data[b * g.count + c] = d.globals[e * d.G + g.start + c];
      mask[b] = 1;
    });
    return { data, shape: [B, 1, g.count], mask };
  });
}

export const tokenWidth = (d: PreparedData) => d.D + d.G + 2;

export function buildBatch(d: PreparedData, spec: EventSpec, events: number[], B: number): HostBatch {
  const { N, D, G } = d;
  const P = spec.particles.length;
  const Din = tokenWidth(d);
  const slots = Array.from({ length: B }, (_, i) => events[i] ?? -1);
  const tokens = new Float32Array((B * N + B) * Din);
  const attnMask = new Uint32Array(B * (N + 1));
  const jetMask = new Uint32Array(B * N);
  const perms = spec.eventPerms;
  const targets = new Int32Array(perms.length * B * P).fill(-1);
  const detection = new Int32Array(B * P).fill(-1);
  const R = spec.regressions.length;
  const regressions = new Float32Array(B * R);
  const regressionsRaw = new Float32Array(B * R);
  const regressionWeights = new Float32Array(B * R);
  const classes = spec.classifications.map(() => new Int32Array(B).fill(-1));
  slots.forEach((e, b) => {
    const evRow = (B * N + b) * Din;
    tokens[evRow + D + G + 1] = 1;
    attnMask[b * (N + 1) + N] = 1;
    if (e < 0) return;
    for (let j = 0; j < N; j++) {
      if (!d.jetMask[e * N + j]) continue;
      jetMask[b * N + j] = 1;
      attnMask[b * (N + 1) + j] = 1;
      const row = (b * N + j) * Din;
      for (let c = 0; c < D; c++) tokens[row + c] = (d.jets[(e * N + j) * D + c] - d.jetNorm.mean[c]) / d.jetNorm.std[c];
      tokens[row + D + G] = 1;
    }
    for (let c = 0; c < G; c++) tokens[evRow + D + c] = (d.globals[e * G + c] - d.globalNorm.mean[c]) / d.globalNorm.std[c];
    const complete = spec.particles.map((p, pi) => {
      const jets = Array.from(d.truth.subarray((e * P + pi) * 3, (e * P + pi) * 3 + p.products.length));
      // a particle the file's MASK marks absent is not scored, as upstream masks it
      const usable = d.present[e * P + pi] === 1 && jets.every((j) => j >= 0) && new Set(jets).size === jets.length;
      return usable ? flatIndex(jets, N) : -1;
    });
    // the detection target is upstream's mask (TARGETS MASK when the file has one)
    complete.forEach((_, pi) => {
      detection[b * P + pi] = d.present[e * P + pi];
    });
    perms.forEach((sigma, g) => {
      for (let p = 0; p < P; p++) targets[(g * B + b) * P + p] = complete[sigma[p]];
    });
    for (let r = 0; r < R; r++) {
      const v = (d.regressions[e * R + r] - d.regNorm.mean[r]) / d.regNorm.std[r];
      regressions[b * R + r] = Number.isFinite(v) ? v : 0;
      regressionsRaw[b * R + r] = Number.isFinite(v) ? d.regressions[e * R + r] : 0;
      regressionWeights[b * R + r] = Number.isFinite(v) ? 1 : 0;
    }
    classes.forEach((c, ci) => {
      c[b] = d.classes[e * spec.classifications.length + ci];
    });
  });
  const flatClamped = new Int32Array(B * P),
    presentBP = new Float32Array(B * P),
    weightBP = new Float32Array(B * P);
  slots.forEach((e, b) => {
    if (e < 0) return;
    spec.particles.forEach((p, pi) => {
      const jets = Array.from(d.truth.subarray((e * P + pi) * 3, (e * P + pi) * 3 + p.products.length), (j) => Math.max(0, j));
      flatClamped[b * P + pi] = flatIndex(jets, N);
      presentBP[b * P + pi] = d.present[e * P + pi];
      weightBP[b * P + pi] = d.weights[e * P + pi];
    });
  });
  const permuted = permutedTargetsHost(B, perms, flatClamped, presentBP, weightBP, P);
  for (let r = 0; r < R; r++) {
    let count = 0;
    for (let b = 0; b < B; b++) count += regressionWeights[b * R + r];
    for (let b = 0; b < B; b++) regressionWeights[b * R + r] = count ? regressionWeights[b * R + r] / count : 0;
  }
  const sources = networkSources(d, spec, slots);
  return {
    B,
    events: slots,
    tokens,
    attnMask,
    jetMask,
    targets,
    detection,
    regressions,
    regressionWeights,
    classes,
    permuted,
    sources,
    regressionsRaw,
  };
}

/** A batch uploaded once and kept on the GPU for the whole run. */
export interface GpuBatch {
  host: HostBatch;
  tokens: Tensor<'f32'>;
  attnMask: Tensor<'u32'>;
  jetMask: Tensor<'u32'>;
  targets: Tensor<'i32'>;
  detection: Tensor<'i32'>;
  regressions: Tensor<'f32'>;
  regressionWeights: Tensor<'f32'>;
  classes: Tensor<'i32'>[];
  permuted: PermutedTargets;
  /** spanet-v2 only: the network's input data per input, and the raw regression targets [B, R] */
  sources?: Tensor<'f32'>[];
  regressionsRaw?: Tensor<'f32'>;
}

export function uploadBatch(e: Engine, h: HostBatch, d: PreparedData, spec: EventSpec, opts: { network?: boolean } = {}): GpuBatch {
  const { B } = h;
  const { N } = d;
  const P = spec.particles.length;
  const net = opts.network
    ? {
        sources: h.sources.map((s) => e.fromArray(s.data, s.shape).keep()),
        regressionsRaw: e.fromArray(h.regressionsRaw, [B, spec.regressions.length]).keep(),
      }
    : {};
  return {
    ...net,
    host: h,
    tokens: e.fromArray(h.tokens, [B * N + B, tokenWidth(d)]).keep(),
    attnMask: e.fromArray(h.attnMask, [B, N + 1], { dtype: 'u32' }).keep(),
    jetMask: e.fromArray(h.jetMask, [B, N], { dtype: 'u32' }).keep(),
    targets: e.fromArray(h.targets, [spec.eventPerms.length, B, P], { dtype: 'i32' }).keep(),
    detection: e.fromArray(h.detection, [B * P], { dtype: 'i32' }).keep(),
    regressions: e.fromArray(h.regressions, [B, spec.regressions.length]).keep(),
    regressionWeights: e.fromArray(h.regressionWeights, [B, spec.regressions.length]).keep(),
    classes: h.classes.map((c) => e.fromArray(c, [B], { dtype: 'i32' }).keep()),
    permuted: uploadPermutedTargets(e, h.permuted),
  };
}

export function disposeBatch(b: GpuBatch): void {
  for (const t of [b.tokens, b.attnMask, b.jetMask, b.targets, b.detection, b.regressions, b.regressionWeights, ...b.classes]) t.dispose();
  for (const t of [...(b.sources ?? []), ...(b.regressionsRaw ? [b.regressionsRaw] : [])]) t.dispose();
  disposePermutedTargets(b.permuted);
}

/**
 * Writes another host batch of the same shapes into an uploaded batch's buffers (epoch
 * shuffling without reallocating). Pending work is submitted first, so commands recorded
 * with the old contents run before the queue writes.
 */
export function rewriteBatch(e: Engine, g: GpuBatch, h: HostBatch): void {
  e.gpu.submit();
  const put = (t: Tensor, a: ArrayBufferView & { length: number }) => {
    if (a.length !== t.size) throw new Error(`rewriteBatch: ${a.length} values for a tensor of ${t.size}`);
    e.gpu.write(t.buffer, a);
  };
  put(g.tokens, h.tokens);
  put(g.attnMask, h.attnMask);
  put(g.jetMask, h.jetMask);
  put(g.targets, h.targets);
  put(g.detection, h.detection);
  put(g.regressions, h.regressions);
  put(g.regressionWeights, h.regressionWeights);
  g.classes.forEach((t, i) => put(t, h.classes[i]));
  g.sources?.forEach((t, i) => put(t, h.sources[i].data));
  if (g.regressionsRaw) put(g.regressionsRaw, h.regressionsRaw);
  const p = h.permuted;
  g.permuted.index.forEach((t, i) => put(t, p.index[i]));
  g.permuted.mask.forEach((t, i) => put(t, p.mask[i]));
  g.permuted.absent.forEach((t, i) =>
    put(
      t,
      Uint32Array.from(p.mask[i], (v) => (v ? 0 : 1)),
    ),
  );
  g.permuted.weight.forEach((t, i) => put(t, p.weight[i]));
  g.host = h;
}
