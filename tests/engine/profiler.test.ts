import { beforeAll, describe, expect, it } from 'vitest';
import { adapterPeak, hasTimestamps, profileStep, timeGpuWork } from '../../src/gpu/profiler';
import type { Engine } from '../../src/tensor/engine';
import { setMatmulAutotune } from '../../src/tensor/matmul/autotune';
import { matmul } from '../../src/tensor/ops/matmul';
import type { Tensor } from '../../src/tensor/tensor';
import { testEngine } from '../helpers/engine';
import { uniform } from '../helpers/random';

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
  setMatmulAutotune(e.gpu, false);
});

/** A step of two products and a fused ReLU: three matmul dispatches. */
function step(a: Tensor<'f32'>, b: Tensor<'f32'>) {
  return e.scope(() => {
    const c = matmul(a, b, { transB: true });
    const d = matmul(c, b, { activation: 'relu' });
    return matmul(d, b, { transB: true }).keep();
  });
}

describe('profileStep', () => {
  it('reports every dispatch of a step with GPU times and matmul FLOPs, and leaves results unchanged', async () => {
    const [M, K] = [96, 80];
    const a = e.fromArray(Float32Array.from(uniform(M * K, 1)), [M, K]).keep() as Tensor<'f32'>;
    const b = e.fromArray(Float32Array.from(uniform(K * K, 2)), [K, K]).keep() as Tensor<'f32'>;
    const plain = step(a, b);
    const expected = await plain.read();
    plain.dispose();

    let out: ReturnType<typeof step> | null = null;
    const before = e.gpu.recordingStats().dispatches;
    const profile = await profileStep(e.gpu, () => {
      out = step(a, b);
    });
    const dispatched = e.gpu.recordingStats().dispatches - before;
    expect(e.gpu.takeErrors()).toEqual([]);
    expect(Array.from(await out!.read())).toEqual(Array.from(expected));
    out!.dispose();
    a.dispose();
    b.dispose();

    expect(profile.dispatches).toBe(dispatched);
    expect(profile.kernels.reduce((s, k) => s + k.calls, 0)).toBe(dispatched);
    const mm = profile.kernels.filter((k) => k.kernel.startsWith('matmul['));
    expect(mm.reduce((s, k) => s + k.calls, 0)).toBe(3);
    // Three M×K·K×K products: 2·M·K·K flops each, whatever variants they took.
    expect(mm.reduce((s, k) => s + k.flops, 0)).toBe(3 * 2 * M * K * K);
    // The fused-ReLU product is its own variant (epilogue in the pipeline's name).
    expect(mm.some((k) => k.kernel.includes('+relu'))).toBe(true);
    expect(profile.timer).toBe(hasTimestamps(e.gpu.device) ? 'timestamp' : 'none');
    if (profile.timer === 'timestamp') {
      for (const k of mm) {
        expect(k.ms).toBeGreaterThan(0);
        expect(k.gflops).toBeCloseTo(k.flops / (k.ms! * 1e6), 6);
        expect(k.gbps).toBeGreaterThan(0);
      }
      const sum = profile.kernels.reduce((s, k) => s + (k.ms ?? 0), 0);
      expect(profile.gpuMs).toBeCloseTo(sum, 9);
      // Sorted by time, largest first.
      for (let i = 1; i < profile.kernels.length; i++) expect(profile.kernels[i - 1].ms!).toBeGreaterThanOrEqual(profile.kernels[i].ms!);
    }
    // After profiling, dispatches go back into one shared pass (no profiler installed).
    expect(e.gpu.profiler).toBeNull();
  });

  it('timeGpuWork times a pass (timestamps where the device has them)', async () => {
    const r = await timeGpuWork(e.gpu.device, () => {}, 2);
    expect(r.timer).toBe(hasTimestamps(e.gpu.device) ? 'timestamp' : 'wall');
    expect(r.ms).toBeGreaterThanOrEqual(0);
  });

  it('knows datasheet peaks of a few GPUs and none for SwiftShader', () => {
    expect(adapterPeak('nvidia / hopper / NVIDIA H200')?.gflops).toBe(67_000);
    expect(adapterPeak('google / swiftshader')).toBeNull();
  });
});
