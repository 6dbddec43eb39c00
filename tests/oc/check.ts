/**
 * GPU loss and gradients for an event, and the f64 reference values and central differences
 * they are compared against.
 */
import { expect } from 'vitest';
import type { Engine } from '../../src/tensor/engine';
import type { Tensor } from '../../src/tensor/tensor';
import { buildOcLayout, ocLossOp, ocLossReference, uploadOcLayout, type OcLayoutHost } from '../../src/losses/oc';
import type { OcSampling, OcValues } from '../../src/losses/oc/reference';
import type { OcEvent } from './events';

export type Impl = 'fused' | 'dense';

export function hostLayout(ev: OcEvent): OcLayoutHost {
  return buildOcLayout(ev.objectId, { noiseThreshold: ev.noiseThreshold, eventOffsets: ev.eventOffsets });
}

export function refValues(ev: OcEvent, sampling?: OcSampling, beta = ev.beta, x = ev.x): OcValues {
  return ocLossReference(hostLayout(ev), { beta, x, d: ev.d, weights: ev.weights, qMin: ev.qMin }, sampling);
}

const TERMS = ['attractive', 'repulsive', 'coward', 'noise'] as const;

/** Σ seed_i · term_i over the nonzero seeds (the noise term may be NaN). */
export function seeded(v: OcValues, seed: number[]): number {
  return TERMS.reduce((s, t, i) => (seed[i] !== 0 ? s + seed[i] * v[t] : s), 0);
}

export interface GpuResult {
  values: Float32Array;
  nRep: number;
  dBeta: Float32Array | null;
  dX: Float32Array | null;
}

/** Runs the op (and its backward with `seed` over the 4 terms) on the GPU. */
export async function gpuLoss(e: Engine, ev: OcEvent, impl: Impl, seed?: number[], sampling?: OcSampling): Promise<GpuResult> {
  const layout = uploadOcLayout(e, hostLayout(ev));
  const n = ev.beta.length;
  let nRepT: Tensor<'u32'> | null = null;
  const tape = seed ? e.beginTape() : null;
  try {
    const res = e.scope(() => {
      const beta = e.fromArray(Float32Array.from(ev.beta), [n], { requiresGrad: !!seed });
      const x = e.fromArray(Float32Array.from(ev.x), [n, ev.d], { requiresGrad: !!seed });
      const inputs = [beta, x];
      if (ev.weights) inputs.push(e.fromArray(Float32Array.from(ev.weights), [n]));
      const out = e.apply(ocLossOp, inputs, {
        layout,
        qMin: ev.qMin,
        impl,
        hasWeights: !!ev.weights,
        sampling,
        onNRep: (t) => (nRepT = t.keep()),
      });
      if (!tape) return { out, dBeta: null, dX: null };
      const g = tape.backward(out, e.fromArray(Float32Array.from(seed!), [4]) as Tensor<'f32'>);
      return { out, dBeta: g.get(beta)!, dX: g.get(x)! };
    });
    const values = (await res.out.read()) as Float32Array;
    const dBeta = res.dBeta ? await res.dBeta.read() : null;
    const dX = res.dX ? await res.dX.read() : null;
    const nRep = nRepT ? (await (nRepT as Tensor<'u32'>).read())[0] : -1;
    for (const t of [res.out, res.dBeta, res.dX, nRepT as Tensor | null]) t?.dispose();
    expect(e.gpu.takeErrors(), 'GPU validation errors').toEqual([]);
    return { values, nRep, dBeta, dX };
  } finally {
    if (tape) e.endTape();
    layout.dispose();
  }
}

/** Central differences (h = 1e-6 relative, f64) of Σ seed·terms of the reference. */
export function finiteDifferences(ev: OcEvent, seed: number[], sampling?: OcSampling): { dBeta: Float64Array; dX: Float64Array } {
  const f = (beta: Float64Array, x: Float64Array) => seeded(refValues(ev, sampling, beta, x), seed);
  const grad = (which: 'beta' | 'x') => {
    const base = which === 'beta' ? ev.beta : ev.x;
    const out = new Float64Array(base.length);
    for (let i = 0; i < base.length; i++) {
      const v = Float64Array.from(base);
      const h = 1e-6 * Math.max(1, Math.abs(v[i]));
      v[i] = base[i] + h;
      const up = which === 'beta' ? f(v, ev.x) : f(ev.beta, v);
      v[i] = base[i] - h;
      const down = which === 'beta' ? f(v, ev.x) : f(ev.beta, v);
      out[i] = (up - down) / (2 * h);
    }
    return out;
  };
  return { dBeta: grad('beta'), dX: grad('x') };
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}
