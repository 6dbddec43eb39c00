import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { valueAndGrad } from '../../src/tensor/autodiff';
import type { Engine } from '../../src/tensor/engine';
import { add } from '../../src/tensor/ops/elementwise';
import type { Tensor } from '../../src/tensor/tensor';
import { upstreamLoss, type UpstreamLossInput, type UpstreamLossOptions } from '../../src/tasks/spanet/upstreamLoss';
import {
  disposePermutedTargets,
  permutedTargetsHost,
  upstreamSymmetricLoss,
  uploadPermutedTargets,
} from '../../src/tasks/spanet/upstreamLossGpu';
import { expectClose } from '../helpers/opcheck';
import { testEngine } from '../helpers/engine';

const fx = JSON.parse(readFileSync(new URL('../fixtures/torch/spanet/loss_cases.json', import.meta.url), 'utf8'));
const parts = Object.entries<any>(fx.particles);
const B: number = fx.B,
  N: number = fx.N,
  P = parts.length;

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

function flatTargets(): { flat: Int32Array; present: number[]; weight: number[] } {
  const flat = new Int32Array(B * P),
    present: number[] = [],
    weight: number[] = [];
  for (let b = 0; b < B; b++)
    parts.forEach(([, p], i) => {
      let f = 0;
      for (const j of p.indices[b]) f = f * N + Math.max(0, j);
      flat[b * P + i] = f;
      present[b * P + i] = p.mask[b];
      weight[b * P + i] = p.weight[b];
    });
  return { flat, present, weight };
}

function refInput(logp: Float64Array[], det: Float64Array[]): UpstreamLossInput {
  return {
    B,
    N,
    eventPerms: fx.event_permutations,
    regressions: [],
    classifications: [],
    particles: parts.map(([name, p], i) => ({
      name,
      k: p.k,
      numTargets: p.num_targets,
      logp: logp[i],
      indices: p.indices.flat(),
      mask: p.mask,
      weight: p.weight,
      detection: det[i],
    })),
  };
}

describe('upstream assignment + detection loss on the GPU (engine ops)', () => {
  fx.cases.forEach((c: any) => {
    it(`terms and gradients: combine ${c.options.combine_pair_loss}, focal ${c.options.focal_gamma}`, async () => {
      const o = { regression_loss_scale: 0, classification_loss_scale: 0, ...c.options } as UpstreamLossOptions;
      const t = flatTargets();
      const pt = uploadPermutedTargets(e, permutedTargetsHost(B, fx.event_permutations, t.flat, t.present, t.weight, P));
      const logp = parts.map(([, p]) => Float64Array.from(p.logp.flat() as number[]));
      const det = parts.map(([, p]) => Float64Array.from(p.detection as number[]));
      const inputs = [
        ...logp.map((l) => e.fromArray(Float32Array.from(l), [B, l.length / B])),
        ...det.map((d) => e.fromArray(Float32Array.from(d), [B])),
      ];
      try {
        const { value, grads } = valueAndGrad((...xs) => {
          const r = upstreamSymmetricLoss(
            xs.slice(0, P) as Tensor<'f32'>[],
            xs.slice(P) as Tensor<'f32'>[],
            parts.map(([, p]) => p.num_targets),
            pt,
            o,
          );
          return [...r.assignment, ...r.detection].reduce((s, x) => add(s, x));
        }, inputs);
        const ref = upstreamLoss(refInput(logp, det), o);
        const want = [...ref.assignment, ...ref.detection].reduce((s, v) => s + v, 0);
        // f32 log-probabilities of size ~1e0 summed over 7 events and 6 terms: 1e-5 relative
        expect(Math.abs((await value.read())[0] - want)).toBeLessThanOrEqual(1e-5 * Math.abs(want));
        // finite differences of the f64 reference, at the entries that matter (the targets) and a few others
        const h = 1e-6;
        const fd = (which: number, idx: number) => {
          const l2 = logp.map((a) => Float64Array.from(a)),
            d2 = det.map((a) => Float64Array.from(a));
          const arr = which < P ? l2[which] : d2[which - P];
          const f = (delta: number) => {
            const v = arr[idx];
            arr[idx] = v + delta;
            const r = upstreamLoss(refInput(l2, d2), o);
            arr[idx] = v;
            return [...r.assignment, ...r.detection].reduce((s, x) => s + x, 0);
          };
          return (f(h) - f(-h)) / (2 * h);
        };
        const gs = await Promise.all(grads.map((g) => g.read()));
        inputs.forEach((_, w) => {
          const g = gs[w];
          const picks =
            w < P
              ? t.flat.filter((_, i) => i % P === w).map((f, b) => b * (logp[w].length / B) + f)
              : Int32Array.from({ length: B }, (_, b) => b);
          const got = Array.from(picks, (i) => g[i]);
          const exp = Array.from(picks, (i) => fd(w, i));
          // f32 gradients of O(1) terms: 2e-4 absolute and relative; the softmin weights add one more product
          expectClose(got, exp, 2e-4, 2e-4, `input ${w}`);
        });
        value.dispose();
        grads.forEach((g) => g.dispose());
      } finally {
        inputs.forEach((x) => x.dispose());
        disposePermutedTargets(pt);
      }
    });
  });
});
