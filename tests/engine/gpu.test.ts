import { describe, expect, it } from 'vitest';
import { BindGroupCache } from '../../src/gpu/bindGroupCache';
import { BufferPool, sizeClass } from '../../src/gpu/bufferPool';
import { appendErrorLines, formatGpuError, GpuErrorLog, kernelInMessage } from '../../src/gpu/errorLog';
import { createGpuContext } from '../../src/gpu/context';
import { DeviceLostError, WebGPUUnavailableError } from '../../src/gpu/errors';
import { ENGINE_LIMIT_CAPS } from '../../src/gpu/limits';
import { nodeGpu } from '../../src/gpu/node';
import { toyRegressionTask } from '../../src/tasks/toy/task';
import { Engine } from '../../src/tensor/engine';
import { Trainer } from '../../src/train/trainer';

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

/** A toy-task trainer on a context of its own, so counters and pool bytes are this test's. */
async function toyTrainer() {
  const ctx = await createGpuContext(nodeGpu());
  const e = new Engine(ctx);
  const small = { ...toyRegressionTask.defaults, trainSize: 256, testSize: 64, batchSize: 64, hidden: 16, layers: 2 };
  const run = await toyRegressionTask.create(e, small);
  return { ctx, e, trainer: new Trainer(e, run, { lr: 3e-3 }, 5) };
}

/** Counts the device calls recording makes (both recording paths go through these). */
function spyRecording(device: GPUDevice) {
  const counts = { bindGroups: 0, writes: 0 };
  const createBindGroup = device.createBindGroup.bind(device);
  const writeBuffer = device.queue.writeBuffer.bind(device.queue);
  device.createBindGroup = (d) => (counts.bindGroups++, createBindGroup(d));
  device.queue.writeBuffer = ((...a: Parameters<GPUQueue['writeBuffer']>) => (
    counts.writes++,
    writeBuffer(...a)
  )) as GPUQueue['writeBuffer'];
  return counts;
}

describe('recording a step', () => {
  it('a step recorded again creates no bind groups and uploads its uniforms in one write per submit', async () => {
    const { ctx, trainer } = await toyTrainer();
    // Compiles pipelines and fills the pool and the cache. The pool's free lists take a few
    // steps to settle into handing each step the same buffers (here ~13 steps).
    await trainer.runSteps(20, () => {});
    const counts = spyRecording(ctx.device);
    const s0 = ctx.recordingStats();
    await trainer.runSteps(5, () => {});
    const s1 = ctx.recordingStats();
    const dispatches = s1.dispatches - s0.dispatches;
    const submits = s1.submits - s0.submits;
    expect(dispatches).toBeGreaterThan(5 * 10);
    expect(counts.bindGroups).toBe(0);
    expect(s1.bindGroupsReused - s0.bindGroupsReused).toBe(dispatches);
    // Every write in a training step is a uniform upload (the batch is sampled on the GPU);
    // a step's < 256 blocks fit one 64 KiB chunk.
    expect(counts.writes).toBeLessThanOrEqual(submits);
    expect(s1.recordMs).toBeGreaterThan(s0.recordMs);
    trainer.dispose();
    expect(ctx.takeErrors()).toEqual([]);
    ctx.destroy();
  });

  it('keeps each dispatch its own uniforms across uniform chunks and submits', async () => {
    const ctx = await createGpuContext(nodeGpu());
    const e = new Engine(ctx);
    const n = 700; // > 256 slots of 256 bytes: spans three 64 KiB chunks
    for (let round = 0; round < 2; round++) {
      const ts = Array.from({ length: n }, (_, i) => e.full([3], i + 1000 * round).keep());
      const values = await Promise.all(ts.map((t) => t.read()));
      values.forEach((v, i) => expect([...v]).toEqual([i + 1000 * round, i + 1000 * round, i + 1000 * round]));
      for (const t of ts) t.dispose();
    }
    expect(ctx.takeErrors()).toEqual([]);
    ctx.destroy();
  });

  it('the per-dispatch path computes the same and is counted as such', async () => {
    const ctx = await createGpuContext(nodeGpu());
    const e = new Engine(ctx);
    ctx.recordingMode = 'perDispatch';
    const s0 = ctx.recordingStats();
    const t = e.full([5], 7).keep();
    expect([...(await t.read())]).toEqual([7, 7, 7, 7, 7]);
    const s1 = ctx.recordingStats();
    expect(s1.uniformWrites - s0.uniformWrites).toBe(1);
    expect(s1.bindGroupsCreated - s0.bindGroupsCreated).toBe(1);
    t.dispose();
    ctx.destroy();
  });
});

describe('bind-group cache', () => {
  it('stays within its capacity, least recently used first out', () => {
    const cache = new BindGroupCache(3);
    const made: string[] = [];
    const get = (k: string) => cache.get(`p:-|${k}`, [Number(k)], () => (made.push(k), { label: k } as unknown as GPUBindGroup));
    for (const k of ['1', '2', '3', '1', '4', '2']) get(k);
    // 1 was used again before 4 came in, so 2 (then least recent) went; asking for 2 makes it anew.
    expect(made).toEqual(['1', '2', '3', '4', '2']);
    expect(cache.size).toBe(3);
    expect(cache.reused).toBe(1);
  });

  it('drops the entries of buffers the pool destroys, and later steps run without errors', async () => {
    const { ctx, e, trainer } = await toyTrainer();
    await trainer.runSteps(2, () => {});
    const cached = ctx.bindGroups.size;
    expect(cached).toBeGreaterThan(0);
    trainer.dispose();
    ctx.releaseMemory();
    // What is left binds only buffers that outlive models (uniform chunks, placeholders).
    expect(ctx.bindGroups.size).toBeLessThan(cached / 2);
    const run = await toyRegressionTask.create(e, {
      ...toyRegressionTask.defaults,
      trainSize: 256,
      testSize: 64,
      batchSize: 64,
      hidden: 16,
      layers: 2,
    });
    const next = new Trainer(e, run, { lr: 3e-3 }, 5);
    await next.runSteps(3, () => {});
    await ctx.finish();
    next.dispose();
    expect(ctx.takeErrors()).toEqual([]);
    ctx.destroy();
  });
});

const BAD_KERNEL = {
  name: 'bad_kernel.wgsl',
  code: `
struct P { n: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
@compute @workgroup_size(64)
fn copy_values(@builtin(global_invocation_id) g: vec3<u32>) { if (g.x < p.n) { dst[g.x] = src[g.x]; } }
`,
};

describe('GPU errors', () => {
  it('an invalid dispatch gives a bounded error list naming its kernel', async () => {
    const ctx = await createGpuContext(nodeGpu());
    const a = ctx.alloc(256),
      b = ctx.alloc(256);
    for (let step = 0; step < 20; step++) {
      ctx.dispatch(BAD_KERNEL, 'copy_values', [b, a], [1], [['u32', 4]]);
      // One buffer read and written by one dispatch: invalid.
      ctx.dispatch(BAD_KERNEL, 'copy_values', [a, a], [1], [['u32', 4]]);
      await ctx.finish();
    }
    await new Promise((r) => setTimeout(r, 50)); // uncaptured errors arrive as events
    const batch = ctx.takeErrorBatch();
    // 20 steps × (the dispatch + the failed submit), repeats counted instead of stored.
    expect(batch.errors.length).toBeLessThanOrEqual(4);
    expect(batch.errors.reduce((s, r) => s + r.count, 0)).toBeGreaterThanOrEqual(20);
    const labelled = batch.errors.filter((r) => r.kernel === 'bad_kernel.wgsl#copy_values');
    expect(labelled.length).toBeGreaterThan(0);
    expect(labelled.some((r) => /writable usage/.test(r.message))).toBe(true);
    expect(formatGpuError(labelled[0])).toMatch(/in kernel bad_kernel\.wgsl#copy_values/);
    expect(ctx.takeErrorBatch().errors).toEqual([]);
    ctx.destroy();
  });

  it('keeps the last 50 distinct errors and counts the dropped ones', () => {
    const log = new GpuErrorLog(50);
    for (let i = 0; i < 70; i++) log.push(`error ${i} at [BindGroup "k.wgsl#e${i}"]`);
    const { errors, dropped } = log.take();
    expect(errors.length).toBe(50);
    expect(dropped).toBe(20);
    expect(errors[0].message).toMatch(/error 20 /);
    expect(errors[0].kernel).toBe('k.wgsl#e20');
  });

  it('names the invalid command buffer, not the first one a failed submit lists', () => {
    const msg =
      '[Invalid CommandBuffer "b.wgsl#two" from CommandEncoder "b.wgsl#two"] is invalid.\n - While calling [Queue].Submit([[CommandBuffer "a.wgsl#one"], [Invalid CommandBuffer "b.wgsl#two"]])';
    expect(kernelInMessage(msg)).toBe('b.wgsl#two');
    expect(kernelInMessage('[Buffer (unlabeled)] is destroyed')).toBeNull();
  });

  it('the page keeps the last 50 error lines and says how many earlier ones it dropped', () => {
    const lines = Array.from({ length: 48 }, (_, i) => `old ${i}`);
    const out = appendErrorLines(lines, ['GPU error: a', 'GPU error: b', 'GPU error: c'], 4, 50);
    expect(out.length).toBe(50);
    expect(out[out.length - 1]).toBe('GPU error: c');
    expect(out.some((l) => /4 more GPU errors were dropped/.test(l))).toBe(true);
  });
});

describe('returning memory', () => {
  it('pool bytes drop after a model is disposed', async () => {
    const { ctx, trainer } = await toyTrainer();
    await trainer.runSteps(3, () => {});
    const during = ctx.pool.getStats().allocatedBytes;
    trainer.dispose();
    ctx.releaseMemory();
    const after = ctx.pool.getStats();
    expect(after.allocatedBytes).toBeLessThan(during / 4);
    expect(after.allocatedBytes).toBe(after.inUseBytes);
    ctx.destroy();
  });

  it('buffers unused for many submits go back to the device without an explicit trim', async () => {
    const ctx = await createGpuContext(nodeGpu());
    const e = new Engine(ctx);
    ctx.idleTrim = { every: 4, idleSubmits: 8 };
    const big = Array.from({ length: 4 }, () => ctx.alloc(1 << 20));
    for (const b of big) ctx.release(b);
    ctx.submit();
    const before = ctx.pool.getStats().allocatedBytes;
    expect(before).toBeGreaterThanOrEqual(4 << 20);
    for (let i = 0; i < 12; i++) {
      e.scope(() => e.full([16], i));
      ctx.submit();
    }
    expect(ctx.pool.getStats().allocatedBytes).toBeLessThan(1 << 20);
    expect(ctx.takeErrors()).toEqual([]);
    ctx.destroy();
  });
});
