import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeStateDict } from '../../src/export/safetensors';
import { UpstreamJetReconstructionNetwork, type UpstreamOutputs } from '../../src/nn/spanetUpstream/network';
import { readEventFile } from '../../src/tasks/spanet/eventFile';
import { defaultOptions } from '../../src/tasks/spanet/options';
import type { Engine } from '../../src/tensor/engine';
import { testEngine } from '../helpers/engine';

// Upstream's event_files/semi_leptonic_ttH.yaml (46c6805), the description the fixtures were made with.
const TTH_YAML = `
INPUTS:
  SEQUENTIAL:
    Momenta:
      mass: log_normalize
      pt: log_normalize
      eta: normalize
      sin_phi: normalize
      cos_phi: normalize
      qtag: none
      btag: none
      etag: none
      utag: none
  GLOBAL:
    Met:
      met: log_normalize
      sin_phi: normalize
      cos_phi: normalize
EVENT:
  lt:
    - b
  ht:
    - b
    - q1
    - q2
  h:
    - b1
    - b2
PERMUTATIONS:
    ht:
      - [ q1, q2 ]
    h:
      - [ b1, b2 ]
REGRESSIONS:
  EVENT:
    - neutrino_eta
    - neutrino_px
    - neutrino_py
    - neutrino_pz
    - log_invariant_mass
CLASSIFICATIONS:
  EVENT:
    - signal
`;

const dir = new URL('../fixtures/torch/spanet/', import.meta.url);
// A plain Uint8Array: a Node Buffer's slice shares its pool, which the decoder's views would read past.
const stateFile = decodeStateDict(new Uint8Array(readFileSync(new URL('ttH_small.state.safetensors', dir))), 'ttH_small.state');
const io = decodeStateDict(new Uint8Array(readFileSync(new URL('ttH_small.io.safetensors', dir))), 'ttH_small.io').state;
const f32 = (name: string) => io[name].data as Float32Array;

let e: Engine;
let net: UpstreamJetReconstructionNetwork;
let out: UpstreamOutputs;

function build(engine: Engine): UpstreamJetReconstructionNetwork {
  const options = { ...defaultOptions(), ...JSON.parse(stateFile.metadata.options) };
  // The signal label is binary in the ttH example (upstream counts the classes in the data).
  return new UpstreamJetReconstructionNetwork(engine, options, readEventFile(TTH_YAML), { 'EVENT/signal': 2 });
}

beforeAll(async () => {
  e = await testEngine();
  net = build(e);
  net.loadStateDict(stateFile.state, { strict: true });
  net.eval();
  const source = (i: number) => ({ data: e.fromArray(f32(`source.${i}.data`), io[`source.${i}.data`].shape), mask: io[`source.${i}.mask`].data as Int32Array });
  out = net.forward([source(0), source(1)]);
}, 120_000);

/**
 * f32 tolerance: the network is ~40 f32 layers deep; torch (CPU) and our kernels round sums and
 * transcendental functions differently, so outputs agree to ~1e-6 scaled (measured worst
 * 1.6e-6, detection.lt), not bit for bit. 2e-5 · (1 + |x|) is ten times that; a wrong weight,
 * mask, permutation or layer order moves outputs by ≥ 1e-3 (skipping the symmetrisation: 1.8e-3
 * on ht; ReLU for GELU: 0.3).
 */
const close = (got: ArrayLike<number>, want: ArrayLike<number>, what: string) => {
  expect(got.length, what).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i])));
  expect(worst, `${what}: worst scaled error`).toBeLessThan(2e-5);
  return worst;
};

describe('upstream SPANet JetReconstructionNetwork (46c6805) on its own weights', () => {
  it('has exactly upstream\'s state-dict keys and shapes', () => {
    const fresh = build(e);
    const report = fresh.loadStateDict(stateFile.state, { strict: false });
    expect(report.missing).toEqual([]);
    expect(report.unexpected).toEqual([]);
    expect(report.mismatched).toEqual([]);
    expect(report.loaded).toBe(800);
    expect(JSON.parse(stateFile.metadata.state_keys).length).toBe(800);
    fresh.dispose();
  });

  it('writes upstream\'s state dict back: torch\'s key order, dtypes, shapes and values', async () => {
    const sd = await net.stateDict();
    expect(Object.keys(sd)).toEqual(JSON.parse(stateFile.metadata.state_keys));
    for (const [k, want] of Object.entries(stateFile.state)) {
      expect([sd[k].dtype, sd[k].shape], k).toEqual([want.dtype, want.shape]);
      expect(Array.from(sd[k].data as ArrayLike<number | bigint>, Number), k).toEqual(Array.from(want.data as ArrayLike<number | bigint>, Number));
    }
  });

  it('assignment log-probabilities equal upstream\'s (−inf where upstream has −inf)', async () => {
    const names = ['lt', 'ht', 'h'];
    for (let p = 0; p < names.length; p++) {
      const want = f32(`assignment.${names[p]}`);
      expect(out.assignments[p].shape).toEqual(io[`assignment.${names[p]}`].shape);
      const got = await out.assignments[p].read();
      const fin: number[] = [], finWant: number[] = [];
      for (let i = 0; i < want.length; i++) {
        if (Number.isFinite(want[i])) { fin.push(got[i]); finWant.push(want[i]); } else expect(got[i], `${names[p]}[${i}]`).toBe(-Infinity);
      }
      expect(finWant.length).toBeGreaterThan(0);
      close(fin, finWant, `assignment.${names[p]}`);
    }
  });

  it('detection, regression and classification outputs equal upstream\'s', async () => {
    for (const [p, name] of ['lt', 'ht', 'h'].entries()) close(await out.detections[p].read(), f32(`detection.${name}`), `detection.${name}`);
    const regs = Object.keys(io).filter((k) => k.startsWith('regression.'));
    expect(regs.length).toBe(5);
    for (const k of regs) close(await out.regressions[k.slice('regression.'.length)].read(), f32(k), k);
    close(await out.classifications['EVENT/signal'].read(), f32('classification.EVENT/signal'), 'classification');
  });
});
