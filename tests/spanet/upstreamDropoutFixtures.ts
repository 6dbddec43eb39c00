/**
 * Shared by the dropout and MaskedBatchNorm tests: the torch fixtures of
 * tools/torch_fixtures/make_spanet_train_options_fixtures.py, the network they describe, and
 * the fixture's loss L = Σ w · output with the script's loss_weight.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { decodeStateDict } from '../../src/export/safetensors';
import type { StateEntry } from '../../src/nn/stateDict';
import { UpstreamJetReconstructionNetwork, type UpstreamOutputs } from '../../src/nn/spanetUpstream/network';
import { readEventFile } from '../../src/tasks/spanet/eventFile';
import { defaultOptions, type SpanetOptions } from '../../src/tasks/spanet/options';
import type { Engine } from '../../src/tensor/engine';
import { add, mul } from '../../src/tensor/ops/elementwise';
import { sumAxes } from '../../src/tensor/ops/reduceAxes';
import { maskedFill } from '../../src/tensor/ops/where';
import type { Tensor } from '../../src/tensor/tensor';

type F = Tensor<'f32'>;

export const TTH = readEventFile(
  readFileSync(new URL('../fixtures/spanet-upstream/event_files/semi_leptonic_ttH.yaml', import.meta.url), 'utf8'),
);
const torchDir = new URL('../fixtures/torch/spanet/', import.meta.url);

export interface Fixture {
  state: Record<string, StateEntry>;
  meta: Record<string, string>;
  io: Record<string, StateEntry>;
  options: SpanetOptions;
}

/** `name` under tests/fixtures/torch/spanet/ (e.g. 'train_options/maskedbn', 'ttH_small'). */
export function loadFixture(name: string): Fixture {
  // A plain Uint8Array: a Node Buffer's slice shares its pool, which the decoder's views would read past.
  const read = (suffix: string) => decodeStateDict(new Uint8Array(readFileSync(new URL(`${name}.${suffix}.safetensors`, torchDir))), name);
  const st = read('state');
  const io = read('io').state;
  return { state: st.state, meta: st.metadata, io, options: { ...defaultOptions(), ...JSON.parse(st.metadata.options) } };
}

export const f32 = (fx: Fixture, name: string) => fx.io[name].data as Float32Array;

/** The network of a fixture's options with its state loaded strictly. */
export function buildNet(e: Engine, options: SpanetOptions, state?: Record<string, StateEntry>): UpstreamJetReconstructionNetwork {
  // The signal label is binary in the ttH example (upstream counts the classes in the data).
  const net = new UpstreamJetReconstructionNetwork(e, options, TTH, { 'EVENT/signal': 2 });
  if (state) net.loadStateDict(state, { strict: true });
  return net;
}

export const sourcesOf = (e: Engine, fx: Fixture, prefix = '') =>
  [0, 1].map((i) => ({
    data: e.fromArray(f32(fx, `${prefix}source.${i}.data`), fx.io[`${prefix}source.${i}.data`].shape),
    mask: fx.io[`${prefix}source.${i}.mask`].data as Int32Array,
  }));

/** The outputs under the fixture's names (assignment.<p>, detection.<p>, regression.<k>, classification.<k>). */
export function namedOutputs(o: UpstreamOutputs): Record<string, F> {
  const out: Record<string, F> = {};
  ['lt', 'ht', 'h'].forEach((p, i) => {
    out[`assignment.${p}`] = o.assignments[i];
    out[`detection.${p}`] = o.detections[i];
  });
  for (const [k, v] of Object.entries(o.regressions)) out[`regression.${k}`] = v;
  for (const [k, v] of Object.entries(o.classifications)) out[`classification.${k}`] = v;
  return out;
}

/** The script's loss_weight: ((7919·i + 104729·k) mod 13) / 6 − 1 for element i of the k-th output (sorted names). */
export const lossWeight = (n: number, k: number) => Float32Array.from({ length: n }, (_, i) => ((7919 * i + 104729 * k) % 13) / 6 - 1);

/**
 * L = Σ_k Σ_i w_ki · out_k[i] over the entries where the fixture's torch output `want(name)`
 * is finite (−inf assignment tuples are left out by maskedFill, so −inf never meets a product).
 */
export function weightedLoss(e: Engine, outs: Record<string, F>, want: (name: string) => Float32Array): F {
  const names = Object.keys(outs).sort();
  const terms = names.map((name, k) => {
    const v = outs[name];
    const bad = Float32Array.from(want(name), (x) => (Number.isFinite(x) ? 0 : 1));
    const filled = maskedFill(v, e.fromArray(bad, v.shape), 0);
    return sumAxes(mul(filled, e.fromArray(lossWeight(v.size, k), v.shape)));
  });
  return terms.reduce((s, t) => add(s, t));
}

/**
 * max |got − want| / (1 + |want|) below `tol`, −inf exactly where want is −inf. Returns the worst.
 */
export function expectScaledClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): number {
  expect(got.length, what).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    if (!Number.isFinite(want[i])) {
      expect(got[i], `${what}[${i}]`).toBe(want[i]);
      continue;
    }
    worst = Math.max(worst, Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i])));
  }
  expect(worst, `${what}: worst scaled error`).toBeLessThan(tol);
  return worst;
}

/** Every dropout-like module (the engine's Dropout, MultiheadAttention): its forward counter set back to 0, so the next forward redraws the same masks. */
export function rewindDropout(net: UpstreamJetReconstructionNetwork): number {
  let n = 0;
  for (const [, m] of net.namedModules()) {
    const r = m as unknown as { step?: unknown; seed?: unknown };
    if (typeof r.step === 'number' && typeof r.seed === 'number') {
      r.step = 0;
      n++;
    }
  }
  return n;
}
