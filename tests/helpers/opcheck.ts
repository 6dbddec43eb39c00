/**
 * Generic checks for a registered op:
 *  - forward: GPU (f32) against the f64 TypeScript reference;
 *  - backward: GPU gradient of L = Σ op(x)·R (R random) against central finite differences
 *    of the f64 reference, so the check tests the WGSL backward alone, not f32 round-off.
 */
import { expect } from 'vitest';
import type { Engine } from '../../src/tensor/engine';
import type { OpDef, RefTensor } from '../../src/tensor/registry';
import type { Tensor } from '../../src/tensor/tensor';
import { uniform } from './random';

export interface OpInput {
  data: Float64Array;
  shape: number[];
  dtype?: 'f32' | 'i32';
}

export const ref = (data: ArrayLike<number>, shape: number[], dtype: 'f32' | 'i32' = 'f32'): OpInput => ({
  data: Float64Array.from(data),
  shape,
  dtype,
});

/** max |a - b| ≤ atol + rtol·|b| elementwise, with the worst offender in the message. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol: number, what = ''): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const excess = Math.abs(actual[i] - expected[i]) - (atol + rtol * Math.abs(expected[i]));
    if (!(excess <= worstExcess)) {
      worst = i;
      worstExcess = Number.isNaN(excess) ? Infinity : excess;
    }
  }
  if (worst >= 0) {
    expect.fail(`${what}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} (rtol ${rtol}, atol ${atol})`);
  }
}

function toTensor(e: Engine, x: OpInput, requiresGrad: boolean): Tensor {
  return e.fromArray(x.dtype === 'i32' ? Int32Array.from(x.data) : Float32Array.from(x.data), x.shape, {
    dtype: x.dtype ?? 'f32',
    requiresGrad,
  });
}

function refs(inputs: OpInput[]): RefTensor[] {
  return inputs.map((x) => ({ data: Float64Array.from(x.data), shape: [...x.shape] }));
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

export async function checkForward<A>(e: Engine, op: OpDef<A>, inputs: OpInput[], attrs: A, rtol: number, atolRel: number): Promise<void> {
  const expected = op.reference(refs(inputs), attrs);
  const y = e.scope(() =>
    e.apply(
      op,
      inputs.map((x) => toTensor(e, x, false)),
      attrs,
    ),
  );
  expect(y.shape).toEqual(expected.shape);
  const got = await y.read();
  y.dispose();
  expect(e.gpu.takeErrors(), 'GPU validation errors').toEqual([]);
  expectClose(got, expected.data, rtol, atolRel * Math.max(1, maxAbs(expected.data)), `${op.name} forward`);
}

/**
 * Gradient check. Up to `maxProbe` elements of each differentiable input are probed with
 * central differences (h = 1e-6 in f64: truncation ~h², round-off ~1e-16/h, both far below
 * the f32 error of the GPU result being judged).
 */
export async function checkGradient<A>(
  e: Engine,
  op: OpDef<A>,
  inputs: OpInput[],
  attrs: A,
  rtol: number,
  atolRel: number,
  maxProbe = 48,
): Promise<void> {
  const outShape = op.reference(refs(inputs), attrs).shape;
  const outSize = outShape.reduce((a, b) => a * b, 1);
  const seed = uniform(outSize, 99, 0.5, 1.5);
  const ts = inputs.map((x, i) => toTensor(e, x, op.differentiable[i] && x.dtype !== 'i32'));
  const tape = e.beginTape();
  let grads: (Float32Array | null)[];
  try {
    const y = e.apply(op, ts, attrs);
    const seedT = e.fromArray(Float32Array.from(seed), y.shape);
    const g = tape.backward(y, seedT as Tensor<'f32'>);
    grads = await Promise.all(ts.map((t) => (t.requiresGrad ? g.get(t)!.read() : Promise.resolve(null))));
  } finally {
    e.endTape();
  }
  expect(e.gpu.takeErrors(), 'GPU validation errors').toEqual([]);
  const loss = (xs: RefTensor[]) => {
    const out = op.reference(xs, attrs).data;
    let s = 0;
    for (let i = 0; i < out.length; i++) s += out[i] * seed[i];
    return s;
  };
  for (let k = 0; k < inputs.length; k++) {
    const gpu = grads[k];
    if (!gpu) continue;
    const n = inputs[k].data.length;
    const stride = Math.max(1, Math.floor(n / maxProbe));
    const probes: number[] = [];
    for (let i = 0; i < n && probes.length < maxProbe; i += stride) probes.push(i);
    if (!probes.includes(n - 1)) probes.push(n - 1);
    const fd: number[] = [];
    const got: number[] = [];
    for (const i of probes) {
      const xs = refs(inputs);
      const h = 1e-6 * Math.max(1, Math.abs(xs[k].data[i]));
      xs[k].data[i] += h;
      const up = loss(xs);
      xs[k].data[i] -= 2 * h;
      const down = loss(xs);
      fd.push((up - down) / (2 * h));
      got.push(gpu[i]);
    }
    expectClose(got, fd, rtol, atolRel * Math.max(1e-3, maxAbs(fd)), `${op.name} d/d input ${k}`);
  }
}
