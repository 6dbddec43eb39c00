import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeStateDict } from '../../src/export/safetensors';
import { UpstreamJetReconstructionNetwork, type UpstreamOutputs } from '../../src/nn/spanetUpstream/network';
import { readEventFile } from '../../src/tasks/spanet/eventFile';
import { defaultOptions } from '../../src/tasks/spanet/options';
import type { Engine } from '../../src/tensor/engine';
import { valueAndGrad } from '../../src/tensor/autodiff';
import { add } from '../../src/tensor/ops/elementwise';
import { sumAxes } from '../../src/tensor/ops/reduceAxes';
import { maskedFill } from '../../src/tensor/ops/where';
import type { Tensor } from '../../src/tensor/tensor';
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
const sourcesOf = (engine: Engine) =>
  [0, 1].map((i) => ({
    data: engine.fromArray(f32(`source.${i}.data`), io[`source.${i}.data`].shape),
    mask: io[`source.${i}.mask`].data as Int32Array,
  }));

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
  out = net.forward(sourcesOf(e));
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
  it("has exactly upstream's state-dict keys and shapes", () => {
    const fresh = build(e);
    const report = fresh.loadStateDict(stateFile.state, { strict: false });
    expect(report.missing).toEqual([]);
    expect(report.unexpected).toEqual([]);
    expect(report.mismatched).toEqual([]);
    expect(report.loaded).toBe(800);
    expect(JSON.parse(stateFile.metadata.state_keys).length).toBe(800);
    // Upstream's requires_grad=False statistics are state a trainer must not move.
    expect(
      fresh
        .namedParameters()
        .map(([n]) => n)
        .filter((n) => /\.(mean|std)$|event_permutation/.test(n)),
    ).toEqual([]);
    fresh.dispose();
  });

  it("writes upstream's state dict back: torch's key order, dtypes, shapes and values", async () => {
    const sd = await net.stateDict();
    expect(Object.keys(sd)).toEqual(JSON.parse(stateFile.metadata.state_keys));
    for (const [k, want] of Object.entries(stateFile.state)) {
      expect([sd[k].dtype, sd[k].shape], k).toEqual([want.dtype, want.shape]);
      expect(Array.from(sd[k].data as ArrayLike<number | bigint>, Number), k).toEqual(
        Array.from(want.data as ArrayLike<number | bigint>, Number),
      );
    }
  });

  it("assignment log-probabilities equal upstream's (−inf where upstream has −inf)", async () => {
    const names = ['lt', 'ht', 'h'];
    for (let p = 0; p < names.length; p++) {
      const want = f32(`assignment.${names[p]}`);
      expect(out.assignments[p].shape).toEqual(io[`assignment.${names[p]}`].shape);
      const got = await out.assignments[p].read();
      const fin: number[] = [],
        finWant: number[] = [];
      for (let i = 0; i < want.length; i++) {
        if (Number.isFinite(want[i])) {
          fin.push(got[i]);
          finWant.push(want[i]);
        } else expect(got[i], `${names[p]}[${i}]`).toBe(-Infinity);
      }
      expect(finWant.length).toBeGreaterThan(0);
      close(fin, finWant, `assignment.${names[p]}`);
    }
  });

  it("detection, regression and classification outputs equal upstream's", async () => {
    for (const [p, name] of ['lt', 'ht', 'h'].entries())
      close(await out.detections[p].read(), f32(`detection.${name}`), `detection.${name}`);
    const regs = Object.keys(io).filter((k) => k.startsWith('regression.'));
    expect(regs.length).toBe(5);
    for (const k of regs) close(await out.regressions[k.slice('regression.'.length)].read(), f32(k), k);
    close(await out.classifications['EVENT/signal'].read(), f32('classification.EVENT/signal'), 'classification');
  });

  it('backpropagates: every parameter gets a finite gradient, equal to finite differences', async () => {
    // A scalar touching every head: one valid tuple's log-probability per event and particle
    // (picked by maskedFill, so −inf never meets a multiplication), detections, regressions, classes.
    const names = ['lt', 'ht', 'h'];
    const pick = names.map((n) => {
      const want = f32(`assignment.${n}`),
        per = want.length / 6;
      const keep = new Float32Array(want.length).fill(1);
      for (let b = 0; b < 6; b++) keep[b * per + [...Array(per).keys()].find((j) => Number.isFinite(want[b * per + j]))!] = 0;
      return e.fromArray(keep, io[`assignment.${n}`].shape);
    });
    const loss = (o: UpstreamOutputs): Tensor<'f32'> => {
      const terms = [
        ...o.assignments.map((a, p) => sumAxes(maskedFill(a, pick[p], 0))),
        ...o.detections.map((d) => sumAxes(d)),
        ...Object.values(o.regressions).map((r) => sumAxes(r)),
        ...Object.values(o.classifications).map((c) => sumAxes(c)),
      ];
      return terms.reduce((s, t) => add(s, t));
    };
    const params = net.namedParameters();
    const { value, grads } = valueAndGrad(
      () => loss(net.forward(sourcesOf(e))),
      params.map(([, t]) => t),
    );
    const L0 = (await value.read())[0];
    expect(Number.isFinite(L0)).toBe(true);
    let nonzero = 0;
    const g = new Map<string, Float32Array>();
    for (let i = 0; i < params.length; i++) {
      const v = await grads[i].read();
      expect(v.every(Number.isFinite), params[i][0]).toBe(true);
      if (v.some((x) => x !== 0)) nonzero++;
      g.set(params[i][0], v);
    }
    // Every block has skip connections here, so every parameter is on the loss's path.
    expect(nonzero).toBe(params.length);
    const probe: [string, number][] = [
      ['embedding.vector_embedding_layers.0.position_embedding.position_embedding', 1],
      ['embedding.final_embedding_layer.gru.gate_bias', 0],
      ['encoder.encoder.layers.0.attention.in_proj_weight', 5],
      ['branch_decoders.1.attention.linear_layers.2.weight', 3],
      ['regression_decoder.networks.EVENT/neutrino_px.linear.output_layer.weight', 2],
    ];
    const byName = new Map(params);
    const at = async (t: Tensor<'f32'>, i: number, h: number) => {
      const v = await t.read();
      v[i] += h;
      e.gpu.write(t.buffer, v);
      const r = e.scope(() => loss(net.forward(sourcesOf(e))));
      const y = (await r.read())[0];
      r.dispose();
      v[i] -= h;
      e.gpu.write(t.buffer, v);
      return y;
    };
    for (const [name, i] of probe) {
      const t = byName.get(name)!;
      // Central differences in f32: h = 1e-2 keeps rounding (≈ 1e-7·|L|/h ≈ 1e-4) and the h² term small.
      const h = 1e-2;
      const fd = ((await at(t, i, h)) - (await at(t, i, -h))) / (2 * h);
      const an = g.get(name)![i];
      expect(Math.abs(fd - an), name).toBeLessThanOrEqual(2e-2 * Math.max(Math.abs(an), 0.1));
    }
  }, 300_000);
});

/** The other architecture paths (tools/torch_fixtures/make_spanet_fixtures.py VARIANTS): strict load, same outputs. */
describe.each(['ttH_basic', 'ttH_resnet', 'ttH_gated', 'ttH_batchnorm', 'ttH_maskedbn', 'ttH_nomask'])(
  'upstream network, fixture %s',
  (fixture) => {
    it("loads upstream's state strictly and gives upstream's outputs", async () => {
      const st = decodeStateDict(new Uint8Array(readFileSync(new URL(`${fixture}.state.safetensors`, dir))), fixture);
      const v = decodeStateDict(new Uint8Array(readFileSync(new URL(`${fixture}.io.safetensors`, dir))), fixture).state;
      const options = { ...defaultOptions(), ...JSON.parse(st.metadata.options) };
      const model = new UpstreamJetReconstructionNetwork(e, options, readEventFile(TTH_YAML), { 'EVENT/signal': 2 });
      const report = model.loadStateDict(st.state, { strict: false });
      expect([report.missing, report.unexpected, report.mismatched]).toEqual([[], [], []]);
      expect(Object.keys(await model.stateDict())).toEqual(JSON.parse(st.metadata.state_keys));
      model.eval();
      const o = model.forward(
        [0, 1].map((i) => ({
          data: e.fromArray(v[`source.${i}.data`].data as Float32Array, v[`source.${i}.data`].shape),
          mask: v[`source.${i}.mask`].data as Int32Array,
        })),
      );
      for (const [p, name] of ['lt', 'ht', 'h'].entries()) {
        const want = v[`assignment.${name}`].data as Float32Array;
        const got = await o.assignments[p].read();
        const fin = [...want.keys()].filter((i) => Number.isFinite(want[i]));
        expect(
          [...want.keys()].filter((i) => !Number.isFinite(want[i])).every((i) => got[i] === -Infinity),
          `${fixture} ${name} −inf`,
        ).toBe(true);
        close(
          fin.map((i) => got[i]),
          fin.map((i) => want[i]),
          `${fixture} assignment.${name}`,
        );
        close(await o.detections[p].read(), v[`detection.${name}`].data as Float32Array, `${fixture} detection.${name}`);
      }
      for (const k of Object.keys(v).filter((k) => k.startsWith('regression.')))
        close(await o.regressions[k.slice(11)].read(), v[k].data as Float32Array, `${fixture} ${k}`);
      close(
        await o.classifications['EVENT/signal'].read(),
        v['classification.EVENT/signal'].data as Float32Array,
        `${fixture} classification`,
      );
      model.dispose();
    }, 120_000);
  },
);

describe('upstream network options it does not port', () => {
  it.each([
    [{ split_symmetric_attention: false }, /split_symmetric_attention = false/],
    [{ normalization: 'None' }, /normalization = None is not implemented/],
  ])('refuses %o by name', (extra, message) => {
    const options = { ...defaultOptions(), ...JSON.parse(stateFile.metadata.options), ...extra };
    expect(() => new UpstreamJetReconstructionNetwork(e, options, readEventFile(TTH_YAML), { 'EVENT/signal': 2 })).toThrow(message);
  });
});
