import { BindGroupCache } from './bindGroupCache';
import { BufferPool } from './bufferPool';
import { GpuErrorLog, kernelInMessage, type GpuErrorBatch } from './errorLog';
import { DeviceLostError, WebGPUUnavailableError } from './errors';
import { engineLimits, missingLimits } from './limits';
import { PipelineCache, type KernelSource } from './pipelineCache';
import { UniformArena } from './uniformArena';

// The WebGPU spec's flag values, spelled out because Node only defines the
// GPUBufferUsage global after the Dawn host is created.
const MAP_READ = 0x1,
  COPY_SRC = 0x4,
  COPY_DST = 0x8,
  UNIFORM = 0x40,
  STORAGE = 0x80;
const MAP_MODE_READ = 0x1;
export const STORAGE_USAGE = STORAGE | COPY_SRC | COPY_DST;
const UNIFORM_USAGE = UNIFORM | COPY_DST;
const READ_USAGE = MAP_READ | COPY_DST;

export const WORKGROUPS_PER_DIM = 65535;

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
  limits: Record<string, number>;
}

/** A uniform block: numbers tagged u32, i32 or f32, each 4 bytes, padded to 16. */
export type Uniform = ['u32' | 'i32' | 'f32', number];

export function packUniforms(values: Uniform[]): ArrayBuffer {
  const bytes = Math.max(16, Math.ceil((values.length * 4) / 16) * 16);
  const buf = new ArrayBuffer(bytes);
  const view = new DataView(buf);
  values.forEach(([type, v], i) => {
    if (type === 'u32') view.setUint32(i * 4, v, true);
    else if (type === 'i32') view.setInt32(i * 4, v, true);
    else view.setFloat32(i * 4, v, true);
  });
  return buf;
}

/** What recording has cost so far; the bench and tests take differences of two readings. */
export interface RecordingStats {
  dispatches: number;
  submits: number;
  bindGroupsCreated: number;
  bindGroupsReused: number;
  /** queue.writeBuffer calls for uniform blocks (one per dispatch on the per-dispatch path). */
  uniformWrites: number;
  /** CPU milliseconds spent inside dispatch(). */
  recordMs: number;
}

/**
 * How dispatch() records. 'cached' (default): uniforms packed into the submit's uniform
 * arena, one upload per submit, bind groups reused. 'perDispatch': a pool buffer and a
 * writeBuffer per uniform block and a new bind group per dispatch (the old path, kept so
 * the bench can compare the two).
 */
export type RecordingMode = 'cached' | 'perDispatch';

/** Gives each dispatch's own compute pass its timestamp writes (undefined: untimed pass). */
export interface DispatchTimer {
  timestampWrites(label: string): GPUComputePassTimestampWrites | undefined;
}

/** Idle trimming: every `every` submits, free pool buffers unused for `idleSubmits` submits are destroyed. */
export interface IdleTrim {
  every: number;
  idleSubmits: number;
}

/**
 * One GPU device plus the machinery every kernel launch needs: a buffer pool, a pipeline
 * cache and a single open command encoder into which all dispatches of a step are recorded.
 * Nothing reaches the GPU until submit(), so a training step is one command buffer.
 */
export class GpuContext {
  readonly pool: BufferPool;
  readonly pipelines: PipelineCache;
  /** Resolves if the device is lost; the UI listens to it. */
  readonly lost: Promise<DeviceLostError>;
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  /** Finished command buffers of the step not yet submitted (debug mode: one per dispatch). */
  private finished: GPUCommandBuffer[] = [];
  private placeholders: Record<'read' | 'write', GPUBuffer>;
  private isLost = false;
  readonly errorLog = new GpuErrorLog(50);
  readonly bindGroups = new BindGroupCache();
  private uniforms: UniformArena;
  recordingMode: RecordingMode = 'cached';
  /**
   * Records every dispatch in a command buffer of its own, labelled with its kernel, so
   * that validation errors found when a command buffer is finished name the kernel (they
   * cite the labels). The step is still one queue.submit. Turned on by the first error
   * whose message names no kernel, so that its repeats in later steps are attributed.
   */
  debugErrors = false;
  /** Set while src/gpu/profiler.ts profiles a step (null otherwise). */
  profiler: DispatchTimer | null = null;
  idleTrim: IdleTrim | null = { every: 64, idleSubmits: 256 };
  dispatchCount = 0;
  submitCount = 0;
  private perDispatchUniformWrites = 0;
  private recordMs = 0;

  constructor(
    readonly device: GPUDevice,
    readonly adapter: AdapterSummary,
  ) {
    this.pool = new BufferPool(device);
    this.pipelines = new PipelineCache(device);
    this.pool.onDestroy = (buf) => this.bindGroups.evictBuffer(buf);
    this.uniforms = new UniformArena(device, device.limits.minUniformBufferOffsetAlignment ?? 256);
    this.placeholders = {
      read: device.createBuffer({ size: 16, usage: STORAGE_USAGE, label: 'placeholder-read' }),
      write: device.createBuffer({ size: 16, usage: STORAGE_USAGE, label: 'placeholder-write' }),
    };
    device.addEventListener('uncapturederror', (ev) => {
      const message = (ev as GPUUncapturedErrorEvent).error.message;
      this.errorLog.push(message);
      if (!kernelInMessage(message)) this.debugErrors = true;
    });
    this.lost = device.lost.then((info) => {
      this.isLost = true;
      return new DeviceLostError(info.reason ?? 'unknown', info.message || 'no detail');
    });
  }

  get deviceLost(): boolean {
    return this.isLost;
  }

  /**
   * A stand-in for an optional binding (a kernel's layout needs every binding it names).
   * Read and write roles get different buffers: one buffer may not be both in a dispatch.
   */
  placeholder(role: 'read' | 'write'): GPUBuffer {
    return this.placeholders[role];
  }

  /** Validation errors the device reported since the last call (tests assert none). */
  takeErrors(): string[] {
    return this.errorLog.take().errors.map((r) => r.message);
  }

  /** The same, with the kernel each came from, repeat counts, and how many were dropped. */
  takeErrorBatch(): GpuErrorBatch {
    return this.errorLog.take();
  }

  recordingStats(): RecordingStats {
    return {
      dispatches: this.dispatchCount,
      submits: this.submitCount,
      bindGroupsCreated: this.bindGroups.created,
      bindGroupsReused: this.bindGroups.reused,
      uniformWrites: this.uniforms.writes + this.perDispatchUniformWrites,
      recordMs: this.recordMs,
    };
  }

  private ensurePass(label?: string): GPUComputePassEncoder {
    if (!this.encoder) this.encoder = this.device.createCommandEncoder({ label });
    if (!this.pass) this.pass = this.encoder.beginComputePass({ label });
    return this.pass;
  }

  /** Ends the open encoder into the step's list of command buffers. */
  private finishEncoder(label?: string): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
    if (this.encoder) {
      this.finished.push(this.encoder.finish({ label }));
      this.encoder = null;
    }
  }

  private endPass(): void {
    this.pass?.end();
    this.pass = null;
  }

  private ensureEncoder(): GPUCommandEncoder {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
    if (!this.encoder) this.encoder = this.device.createCommandEncoder();
    return this.encoder;
  }

  /**
   * Records one dispatch. `buffers[i]` is bound at @binding(i + 1) of group 0; binding 0 is
   * the uniform block when `uniforms` is given. `workgroups` beyond 65535 in x are folded
   * into y, so kernels recover a linear index as gid.x + gid.y * nx.
   */
  dispatch(
    kernel: KernelSource,
    entryPoint: string,
    buffers: GPUBuffer[],
    workgroups: [number, number?, number?],
    uniforms?: Uniform[],
  ): void {
    const t0 = performance.now();
    const pipeline = this.pipelines.get(kernel, entryPoint);
    const label = `${kernel.name}#${entryPoint}`;
    const bindGroup =
      this.recordingMode === 'cached'
        ? this.cachedBindGroup(pipeline, label, buffers, uniforms)
        : this.freshBindGroup(pipeline, label, buffers, uniforms);
    if (this.debugErrors) this.finishEncoder();
    // Profiling (src/gpu/profiler.ts): a pass of its own per dispatch, bracketed by timestamps.
    const timestampWrites = this.profiler?.timestampWrites(label);
    if (this.profiler) this.endPass();
    const pass = this.profiler
      ? (this.pass = this.ensureEncoder().beginComputePass({ label, timestampWrites }))
      : this.ensurePass(this.debugErrors ? label : undefined);
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    const [x, y = 1, z = 1] = workgroups;
    if (x !== 0 && y !== 0 && z !== 0) {
      pass.dispatchWorkgroups(x, y, z);
      this.dispatchCount++;
    }
    if (this.profiler) this.endPass();
    if (this.debugErrors) this.finishEncoder(label);
    this.recordMs += performance.now() - t0;
  }

  private cachedBindGroup(pipeline: GPUComputePipeline, label: string, buffers: GPUBuffer[], uniforms?: Uniform[]): GPUBindGroup {
    const cache = this.bindGroups;
    const slot = uniforms ? this.uniforms.alloc(uniforms) : null;
    const ids = buffers.map((b) => cache.idOf(b));
    const key = `${cache.idOf(pipeline)}:${slot ? `${slot.chunk}:${slot.offset}:${slot.size}` : '-'}|${ids.join(',')}`;
    return cache.get(key, ids, () => {
      const entries: GPUBindGroupEntry[] = [];
      if (slot) entries.push({ binding: 0, resource: { buffer: slot.buffer, offset: slot.offset, size: slot.size } });
      buffers.forEach((buffer, i) => entries.push({ binding: i + 1, resource: { buffer } }));
      return this.createBindGroup(pipeline, label, entries);
    });
  }

  private freshBindGroup(pipeline: GPUComputePipeline, label: string, buffers: GPUBuffer[], uniforms?: Uniform[]): GPUBindGroup {
    const entries: GPUBindGroupEntry[] = [];
    if (uniforms) {
      const data = packUniforms(uniforms);
      const ub = this.pool.acquire(data.byteLength, UNIFORM_USAGE, 'uniforms', true);
      this.device.queue.writeBuffer(ub, 0, data);
      this.perDispatchUniformWrites++;
      entries.push({ binding: 0, resource: { buffer: ub, size: data.byteLength } });
      this.pool.release(ub);
    }
    buffers.forEach((buffer, i) => entries.push({ binding: i + 1, resource: { buffer } }));
    this.bindGroups.created++;
    return this.createBindGroup(pipeline, label, entries);
  }

  private createBindGroup(pipeline: GPUComputePipeline, label: string, entries: GPUBindGroupEntry[]): GPUBindGroup {
    // The label names the kernel in any error about this bind group or its dispatch.
    return this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries, label });
  }

  /**
   * Storage buffer of at least `bytes` from the pool. Pass `forUpload` when it will be
   * filled with write() before the next submit (see BufferPool.acquire).
   */
  alloc(bytes: number, label?: string, forUpload = false): GPUBuffer {
    return this.pool.acquire(bytes, STORAGE_USAGE, label, forUpload);
  }

  release(buffer: GPUBuffer): void {
    this.pool.release(buffer);
  }

  /** Uploads happen on the queue timeline, before the pending encoder runs. */
  write(buffer: GPUBuffer, data: ArrayBufferView, offset = 0): void {
    this.device.queue.writeBuffer(buffer, offset, data.buffer, data.byteOffset, data.byteLength);
  }

  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    this.ensureEncoder().copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
  }

  /**
   * Sends everything recorded so far to the GPU as one command buffer, after the one upload
   * of its uniform blocks.
   */
  submit(): void {
    this.finishEncoder();
    this.uniforms.flush();
    if (this.finished.length) {
      this.device.queue.submit(this.finished);
      this.finished = [];
      this.submitCount++;
      if (this.idleTrim && this.submitCount % this.idleTrim.every === 0) this.pool.trimIdle(this.idleTrim.idleSubmits);
    }
    this.pool.recycle();
  }

  /**
   * Returns every free pool buffer to the device (after a model is disposed): the pool
   * otherwise keeps the old model's buffers for reuse for the rest of the session.
   */
  releaseMemory(): void {
    this.submit();
    this.pool.trim();
  }

  /**
   * Copies `bytes` of `src` into a staging buffer, submits, and resolves with the bytes.
   * Callers that poll metrics should call this every k steps, not every step.
   */
  async read(src: GPUBuffer, bytes: number, offset = 0): Promise<ArrayBuffer> {
    const size = Math.ceil(bytes / 4) * 4;
    const staging = this.pool.acquire(size, READ_USAGE, 'readback', true);
    this.copy(src, offset, staging, 0, size);
    this.submit();
    await staging.mapAsync(MAP_MODE_READ, 0, size);
    const out = staging.getMappedRange(0, size).slice(0, bytes);
    staging.unmap();
    this.pool.release(staging);
    return out;
  }

  /** Waits until the GPU has finished all submitted work (for timing and tests). */
  async finish(): Promise<void> {
    this.submit();
    await this.device.queue.onSubmittedWorkDone();
  }

  destroy(): void {
    this.submit();
    this.pool.trim();
    this.bindGroups.clear();
    this.uniforms.destroy();
    this.device.destroy();
  }
}

export function summarizeAdapter(adapter: GPUAdapter, limits: Record<string, number>): AdapterSummary {
  const info = adapter.info ?? ({} as GPUAdapterInfo);
  return {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    isFallbackAdapter: Boolean((info as { isFallbackAdapter?: boolean }).isFallbackAdapter),
    limits,
  };
}

/** Asks `gpu` for an adapter and a device with the engine's limits. */
export async function createGpuContext(
  gpu: GPU | undefined,
  options: GPURequestAdapterOptions = { powerPreference: 'high-performance' },
): Promise<GpuContext> {
  if (!gpu) throw new WebGPUUnavailableError('this browser has no navigator.gpu');
  const adapter = await gpu.requestAdapter(options);
  if (!adapter) throw new WebGPUUnavailableError('no GPU adapter was found');
  const missing = missingLimits(adapter);
  if (missing.length) throw new WebGPUUnavailableError(`the GPU is too small (${missing.join('; ')})`);
  const limits = engineLimits(adapter);
  const features: GPUFeatureName[] = adapter.features.has('timestamp-query') ? ['timestamp-query'] : [];
  const device = await adapter.requestDevice({ requiredLimits: limits, requiredFeatures: features });
  return new GpuContext(device, summarizeAdapter(adapter, limits));
}
