import { describe, expect, it } from 'vitest';
import { BufferPool, sizeClass } from '../../src/gpu/bufferPool';
import { createGpuContext } from '../../src/gpu/context';
import { DeviceLostError, WebGPUUnavailableError } from '../../src/gpu/errors';
import { ENGINE_LIMIT_CAPS } from '../../src/gpu/limits';
import { nodeGpu } from '../../src/gpu/node';
import { Engine } from '../../src/tensor/engine';

describe('size classes', () => {
  it('round up by at most 1/8 and never shrink', () => {
    for (const n of [1, 16, 255, 256, 257, 1000, 4096, 4097, 123_457, 10_000_000]) {
      const c = sizeClass(n);
      expect(c).toBeGreaterThanOrEqual(n);
      if (n > 256) expect(c / n).toBeLessThanOrEqual(1.125 + 16 / n);
    }
  });
});

describe('GPU context', () => {
  it('requests the same capped limits the browser gets', async () => {
    const ctx = await createGpuContext(nodeGpu());
    expect(ctx.device.limits.maxStorageBuffersPerShaderStage).toBe(ENGINE_LIMIT_CAPS.maxStorageBuffersPerShaderStage);
    expect(ctx.adapter.limits.maxComputeInvocationsPerWorkgroup).toBe(256);
    ctx.destroy();
  });

  it('reports a lost device as a DeviceLostError', async () => {
    const ctx = await createGpuContext(nodeGpu());
    ctx.device.destroy();
    const err = await ctx.lost;
    expect(err).toBeInstanceOf(DeviceLostError);
    expect(err.message).toMatch(/lost/);
    expect(ctx.deviceLost).toBe(true);
  });

  it('explains a missing navigator.gpu', async () => {
    await expect(createGpuContext(undefined)).rejects.toBeInstanceOf(WebGPUUnavailableError);
    await expect(createGpuContext(undefined)).rejects.toThrow(/Chrome/);
  });

  it('explains a browser with no adapter', async () => {
    const noAdapter = { requestAdapter: async () => null } as unknown as GPU;
    await expect(createGpuContext(noAdapter)).rejects.toThrow(/no GPU adapter/);
  });
});

describe('buffer pool', () => {
  it('reuses a released buffer at once for GPU writes, but for uploads only after submit', async () => {
    const ctx = await createGpuContext(nodeGpu());
    const pool = new BufferPool(ctx.device);
    const a = pool.acquire(1000, GPUBufferUsage.STORAGE);
    pool.release(a);
    const up = pool.acquire(1000, GPUBufferUsage.STORAGE, 'upload', true);
    expect(up).not.toBe(a); // an unsubmitted encoder may still read a's old contents
    expect(pool.acquire(1000, GPUBufferUsage.STORAGE)).toBe(a); // kernels write in queue order
    pool.release(a);
    pool.recycle();
    expect(pool.acquire(1000, GPUBufferUsage.STORAGE, 'upload', true)).toBe(a);
    expect(pool.getStats().inUseBytes).toBe(2 * sizeClass(1000));

    const e = new Engine(ctx);
    const step = () => {
      e.scope(() => {
        e.full([4096], 1);
      });
      ctx.submit();
    };
    step();
    const before = ctx.pool.getStats().buffers;
    for (let i = 0; i < 20; i++) step();
    expect(ctx.pool.getStats().buffers).toBe(before);
    ctx.destroy();
  });

  it('caches pipelines: repeated launches compile nothing new', async () => {
    const ctx = await createGpuContext(nodeGpu());
    const e = new Engine(ctx);
    e.scope(() => e.full([10], 2));
    const n = ctx.pipelines.size;
    for (let i = 0; i < 5; i++) e.scope(() => e.full([10], 2));
    expect(ctx.pipelines.size).toBe(n);
    ctx.destroy();
  });
});
