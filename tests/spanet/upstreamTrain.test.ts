import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeStateDict } from '../../src/export/safetensors';
import type { GpuBatch } from '../../src/tasks/spanet/batch';
import { readEventFile } from '../../src/tasks/spanet/eventFile';
import { defaultOptions } from '../../src/tasks/spanet/options';
import { flatIndex } from '../../src/tasks/spanet/prepare';
import { SPANET_DEFAULTS, spanetTask, type SpanetRun } from '../../src/tasks/spanet/task';
import { SpanetV2Model } from '../../src/tasks/spanet/upstreamModel';
import { permutedTargetsHost, uploadPermutedTargets } from '../../src/tasks/spanet/upstreamLossGpu';
import { Trainer } from '../../src/train/trainer';
import { valueAndGrad } from '../../src/tensor/autodiff';
import type { Engine } from '../../src/tensor/engine';
import type { Tensor } from '../../src/tensor/tensor';
import { testEngine } from '../helpers/engine';
import { syntheticTtH } from './fixtures';

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

const tiny = {
  ...SPANET_DEFAULTS,
  model: 'spanet-v2',
  demoEvents: 96,
  maxJets: 7,
  evalEvents: 16,
  batchSize: 8,
  width: 8,
  heads: 2,
  layers: 1,
  branchLayers: 1,
};

describe('spanet-v2: the task trains upstream SPANet network with upstream loss', () => {
  it('predicts in the SpanetPrediction shape: log-probabilities, detection probabilities, regressions, classes', async () => {
    const run = (await spanetTask.create(e, tiny, { tables: syntheticTtH(48, 9) })) as SpanetRun;
    try {
      expect(run.v2).not.toBeNull();
      const b = run.test[0];
      const p = await run.predict(b);
      const B = b.host.B;
      expect(p.logProbs.map((l) => l.length)).toEqual([2, 3, 2].map((k) => B * 9 ** k));
      // each event's assignment distribution sums to 1 (invalid tuples carry probability 0)
      for (const lp of p.logProbs) {
        const S = lp.length / B;
        for (let i = 0; i < B; i++) {
          const s = lp.subarray(i * S, (i + 1) * S).reduce((a, x) => a + Math.exp(x), 0);
          expect(Math.abs(s - 1)).toBeLessThan(1e-4);
        }
      }
      expect(p.detection.length).toBe(B * 3);
      expect(p.detection.every((x) => x > 0 && x < 1)).toBe(true);
      expect(p.regression.length).toBe(B);
      // the regression head is denormalised with the target's statistics: values in its units (6..7)
      expect(p.regression.every(Number.isFinite)).toBe(true);
      expect(p.classProbs[0].length).toBe(B * 2);
      expect(Number.isFinite(p.terms.loss)).toBe(true);
      expect(Object.keys(p.terms)).toEqual(
        expect.arrayContaining(['assignment lt', 'detection h', 'regression EVENT/log_invariant_mass', 'classification EVENT/signal']),
      );
      // the state dict carries upstream's names
      const keys = Object.keys(await run.stateDict());
      expect(keys).toContain('embedding.vector_embedding_layers.0.normalizer.mean');
      expect(keys).toContain('branch_decoders.1.attention.linear_layers.2.weight');
    } finally {
      run.dispose();
    }
  }, 120_000);

  it('the loss falls on the synthetic tt̄ events (Trainer, AdamW)', async () => {
    const run = (await spanetTask.create(e, { ...tiny, demoEvents: 160 })) as SpanetRun;
    try {
      const tr = new Trainer(e, run, { lr: 3e-3 }, 5);
      const points: { values: Record<string, number> }[] = [];
      await tr.runSteps(30, (p) => points.push(...p));
      expect(e.gpu.takeErrors()).toEqual([]);
      const loss = points.map((p) => p.values.loss);
      expect(loss.every(Number.isFinite)).toBe(true);
      const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
      // one point per step (batches of 8 events are noisy): the last 5 steps against the first 5
      expect(loss.length).toBe(30);
      expect(mean(loss.slice(-5))).toBeLessThan(0.85 * mean(loss.slice(0, 5)));
    } finally {
      run.dispose();
    }
  }, 300_000);

  it('train-mode gradient of the whole network equals central finite differences', async () => {
    // every head on the loss: ttH layout with a regression and a classification, all scales 1;
    // f64-free check in f32, so a coarse h and a loose relative bound (see below)
    const run = (await spanetTask.create(
      e,
      { ...tiny, batchSize: 6, width: 8, regressionScale: 1, classificationScale: 1, detectionScale: 1 },
      { tables: syntheticTtH(24, 8) },
    )) as SpanetRun;
    try {
      const params = run.model.namedParameters();
      const f = () => run.trainStep(0).loss;
      const { value, grads } = valueAndGrad(
        f,
        params.map(([, t]) => t),
      );
      expect(Number.isFinite((await value.read())[0])).toBe(true);
      const g = new Map<string, Float32Array>();
      for (let i = 0; i < params.length; i++) {
        const v = await grads[i].read();
        expect(v.every(Number.isFinite), params[i][0]).toBe(true);
        g.set(params[i][0], v);
      }
      const names = params.map(([n]) => n);
      const pick = (re: RegExp) => names.find((n) => re.test(n))!;
      const probe = [
        pick(/^embedding\.vector_embedding_layers\.0\.vector_embeddings\.embedding_stack\.embedding_layers\.0\.linear_1\.0\.weight$/),
        pick(/^embedding\.vector_embedding_layers\.1\..*gru\.linear_W_z\.weight$/),
        pick(/^embedding\.final_embedding_layer\.gru\.gate_bias$/),
        pick(/^encoder\.encoder\.layers\.0\.attention\.in_proj_weight$/),
        pick(/^branch_decoders\.1\.attention\.linear_layers\.1\.weight$/),
        pick(/^branch_decoders\.2\.detection_classifier\.output_layer\.weight$/),
        pick(/^regression_decoder\.networks\.EVENT\/log_invariant_mass\.linear\.output_layer\.weight$/),
        pick(/^classification_decoder\.networks\.EVENT\/signal\.output_norm\.weight$/),
      ];
      const byName = new Map(params);
      const at = async (t: Tensor<'f32'>, i: number, h: number) => {
        const v = await t.read();
        v[i] += h;
        e.gpu.write(t.buffer, v);
        const r = e.scope(() => f().keep());
        const y = (await r.read())[0];
        r.dispose();
        v[i] -= h;
        e.gpu.write(t.buffer, v);
        return y;
      };
      for (const name of probe) {
        expect(name, 'probe parameter exists').toBeTruthy();
        const t = byName.get(name)!;
        const gi = g.get(name)!;
        const i = gi.reduce((best, x, j) => (Math.abs(x) > Math.abs(gi[best]) ? j : best), 0);
        // central differences in f32: h = 1e-2 keeps rounding (≈ 1e-7·|L|/h) and the h² term small;
        // the argmin over event permutations is piecewise constant, so h must not flip it (checked by symmetry)
        const h = 1e-2;
        const fd = ((await at(t, i, h)) - (await at(t, i, -h))) / (2 * h);
        expect(Math.abs(fd - gi[i]), `${name}[${i}] fd ${fd} vs ${gi[i]}`).toBeLessThanOrEqual(3e-2 * Math.max(Math.abs(gi[i]), 0.05));
      }
    } finally {
      run.dispose();
    }
  }, 300_000);
});

describe("spanet-v2: one training step equals upstream's (torch fixture ttH_train)", () => {
  it("loss and every parameter's gradient equal upstream's training_step in train mode", async () => {
    const dir = new URL('../fixtures/torch/spanet/', import.meta.url);
    const st = decodeStateDict(new Uint8Array(readFileSync(new URL('ttH_train.state.safetensors', dir))), 'ttH_train.state');
    const io = decodeStateDict(new Uint8Array(readFileSync(new URL('ttH_train.io.safetensors', dir))), 'ttH_train.io').state;
    const yaml = readFileSync(new URL('../fixtures/spanet-upstream/event_files/semi_leptonic_ttH.yaml', import.meta.url), 'utf8');
    const spec = readEventFile(yaml);
    const options = { ...defaultOptions(), ...JSON.parse(st.metadata.options) };
    const model = new SpanetV2Model(e, options, spec, null, 1, [2]);
    model.network.loadStateDict(st.state, { strict: true });
    model.network.train();
    const B = Number(st.metadata.events);
    const N = io['source.0.data'].shape[1];
    const P = spec.particles.length;
    const flat = new Int32Array(B * P),
      present = new Float32Array(B * P),
      weight = new Float32Array(B * P);
    spec.particles.forEach((p, pi) => {
      const idx = io[`target.${p.name}.indices`].data as Int32Array;
      const k = p.products.length;
      for (let b = 0; b < B; b++) {
        flat[b * P + pi] = flatIndex(
          Array.from(idx.subarray(b * k, (b + 1) * k), (j) => Math.max(0, j)),
          N,
        );
        present[b * P + pi] = (io[`target.${p.name}.mask`].data as Int32Array)[b];
        weight[b * P + pi] = (io[`target.${p.name}.weight`].data as Float32Array)[b];
      }
    });
    const R = spec.regressions.length;
    const raw = new Float32Array(B * R),
      w = new Float32Array(B * R);
    spec.regressions.forEach((k, r) => {
      const t = io[`regression_target.${k}`].data as Float32Array;
      const n = t.filter(Number.isFinite).length;
      for (let b = 0; b < B; b++) {
        raw[b * R + r] = Number.isFinite(t[b]) ? t[b] : 0;
        w[b * R + r] = Number.isFinite(t[b]) ? 1 / n : 0;
      }
    });
    const sourceMasks = [0, 1].map((i) => Uint8Array.from(io[`source.${i}.mask`].data as Int32Array));
    const batch = {
      host: { B, sources: sourceMasks.map((mask) => ({ mask })) },
      sources: [0, 1].map((i) => e.fromArray(io[`source.${i}.data`].data as Float32Array, io[`source.${i}.data`].shape).keep()),
      permuted: uploadPermutedTargets(e, permutedTargetsHost(B, spec.eventPerms, flat, present, weight, P)),
      regressionsRaw: e.fromArray(raw, [B, R]).keep(),
      regressionWeights: e.fromArray(w, [B, R]).keep(),
      classes: spec.classifications.map((k) =>
        e.fromArray(io[`classification_target.${k}`].data as Int32Array, [B], { dtype: 'i32' }).keep(),
      ),
    } as unknown as GpuBatch;
    const scales = { assignment: 1, detection: 1, regression: 1, classification: 1, focalGamma: 0, combinePairLoss: 'min' };
    const params = model.network.namedParameters();
    const { value, grads } = valueAndGrad(
      () => model.loss(model.forward(batch), batch, scales).loss,
      params.map(([, t]) => t),
    );
    const want = (io.loss.data as Float32Array)[0];
    const got = (await value.read())[0];
    // f32 forward ~40 layers deep: torch CPU and our kernels agree to ~1e-6 relative (upstreamNetwork.test.ts)
    expect(Math.abs(got - want), `loss ${got} vs upstream ${want}`).toBeLessThan(2e-5 * Math.abs(want));
    const torchGrads = Object.keys(io).filter((k) => k.startsWith('grad.'));
    const globalMax = Math.max(...torchGrads.map((k) => Math.max(...Array.from(io[k].data as Float32Array, Math.abs))));
    expect(torchGrads.length).toBe(params.length);
    let worst = 0,
      worstName = '';
    for (let i = 0; i < params.length; i++) {
      const [name] = params[i];
      const ref = io[`grad.${name}`];
      expect(ref, `upstream has a gradient for ${name}`).toBeDefined();
      const a = await grads[i].read(),
        b = ref.data as Float32Array;
      expect(a.length, name).toBe(b.length);
      // scaled by the largest gradient entry of the tensor: the f32 error of a backward pass
      // through the same depth is ~1e-5 of it; a wrong path (a missing mask, a swapped
      // permutation, batch norm on running statistics) moves entries by ≥ 1e-2 of it. Tensors
      // whose gradient is 0 in exact arithmetic (a bias under a softmax: ~1e-9 here) hold only
      // rounding noise, so the scale is at least 1e-4 of the largest gradient of the network.
      const scale = Math.max(...Array.from(b, Math.abs), 1e-4 * globalMax);
      for (let j = 0; j < b.length; j++) {
        const err = Math.abs(a[j] - b[j]) / scale;
        if (err > worst) [worst, worstName] = [err, `${name}[${j}] ${a[j]} vs ${b[j]}`];
      }
    }
    expect(worst, `worst scaled gradient error at ${worstName}`).toBeLessThan(1e-3);
    model.dispose();
  }, 300_000);
});
