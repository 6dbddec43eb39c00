/**
 * GPU time per kernel for one step, from `timestamp-query`.
 *
 * While a step is profiled, GpuContext.dispatch gives every dispatch a compute pass of its
 * own whose timestampWrites bracket it (the `profiler` hook of context.ts), so each
 * kernel's time is the difference of two GPU timestamps. Passes cost a little extra on
 * some GPUs: the profiled step is a measurement of where time goes, not a timing of the
 * normal step. Launchers that know their work (matmul: 2·M·N·K flops) report it with
 * noteWork() just before they dispatch, for achieved GFLOP/s and GB/s.
 *
 * Without the feature (some browsers, some adapters) profileStep still reports the
 * dispatches per kernel, with no times.
 */
import type { DispatchTimer, GpuContext } from './context';

const QUERY_RESOLVE = 0x200,
  COPY_SRC = 0x4,
  COPY_DST = 0x8,
  MAP_READ = 0x1;
/** The spec caps a query set at 4096 queries: 2048 dispatches per set. */
const QUERIES_PER_SET = 4096;

export interface KernelProfile {
  /** Shader#entry, or a matmul variant's name (transposes, epilogue, vec4 layout, tile). */
  kernel: string;
  calls: number;
  /** GPU milliseconds of all its dispatches in the step (null without timestamps). */
  ms: number | null;
  /** Reported work of those dispatches (0 where the launcher reports none). */
  flops: number;
  bytes: number;
  /** Achieved rates; null where the work or the time is unknown. */
  gflops: number | null;
  gbps: number | null;
}

/** Nominal datasheet figures of an adapter (f32, no tensor cores), where one is known. */
export interface AdapterPeak {
  gflops: number;
  gbps: number;
  source: string;
}

export interface StepProfile {
  adapter: string;
  timer: 'timestamp' | 'none';
  dispatches: number;
  /** Sum of the kernels' GPU times (ms), null without timestamps. */
  gpuMs: number | null;
  /** Wall time from recording to idle queue (includes recording and the passes' overhead). */
  wallMs: number;
  /** Kernels by total time (by calls without timestamps), largest first. */
  kernels: KernelProfile[];
  peak: AdapterPeak | null;
}

interface Entry {
  label: string;
  flops: number;
  bytes: number;
}

/** Collects timestamp writes for the dispatches recorded while installed on a context. */
class StepTimer implements DispatchTimer {
  readonly entries: Entry[] = [];
  readonly sets: GPUQuerySet[] = [];
  private work: { flops: number; bytes: number } | null = null;

  constructor(
    private device: GPUDevice,
    readonly timed: boolean,
  ) {}

  note(flops: number, bytes: number): void {
    this.work = { flops, bytes };
  }

  timestampWrites(label: string): GPUComputePassTimestampWrites | undefined {
    const i = this.entries.length;
    this.entries.push({ label, flops: this.work?.flops ?? 0, bytes: this.work?.bytes ?? 0 });
    this.work = null;
    if (!this.timed) return undefined;
    const q = 2 * i;
    const set = Math.floor(q / QUERIES_PER_SET);
    if (set === this.sets.length) {
      this.sets.push(this.device.createQuerySet({ type: 'timestamp', count: QUERIES_PER_SET, label: `profile-${set}` }));
    }
    const local = q % QUERIES_PER_SET;
    return { querySet: this.sets[set], beginningOfPassWriteIndex: local, endOfPassWriteIndex: local + 1 };
  }

  /** Nanoseconds of each entry's pass, resolved after the step's work. */
  async durationsNs(): Promise<number[]> {
    const n = this.entries.length;
    if (!this.timed || n === 0) return [];
    const bytes = QUERIES_PER_SET * 8;
    const enc = this.device.createCommandEncoder({ label: 'profile-resolve' });
    const reads: GPUBuffer[] = [];
    const resolves: GPUBuffer[] = [];
    for (const set of this.sets) {
      const resolve = this.device.createBuffer({ size: bytes, usage: QUERY_RESOLVE | COPY_SRC });
      const read = this.device.createBuffer({ size: bytes, usage: MAP_READ | COPY_DST });
      enc.resolveQuerySet(set, 0, QUERIES_PER_SET, resolve, 0);
      enc.copyBufferToBuffer(resolve, 0, read, 0, bytes);
      resolves.push(resolve);
      reads.push(read);
    }
    this.device.queue.submit([enc.finish()]);
    const out: number[] = [];
    for (const [s, read] of reads.entries()) {
      await read.mapAsync(1);
      const t = new BigInt64Array(read.getMappedRange().slice(0));
      read.unmap();
      const first = s * (QUERIES_PER_SET / 2);
      for (let i = first; i < Math.min(n, first + QUERIES_PER_SET / 2); i++) {
        const local = 2 * (i - first);
        // Unwritten or reordered stamps (a pass with no dispatch on some drivers) count as 0.
        const d = Number(t[local + 1] - t[local]);
        out.push(d > 0 ? d : 0);
      }
    }
    for (const b of [...reads, ...resolves]) b.destroy();
    for (const q of this.sets) q.destroy();
    return out;
  }
}

/** Reports the work of the next dispatch on `g`, if a step is being profiled there. */
export function noteWork(g: GpuContext, flops: number, bytes: number): void {
  if (g.profiler instanceof StepTimer) g.profiler.note(flops, bytes);
}

export function hasTimestamps(device: GPUDevice): boolean {
  return device.features.has('timestamp-query');
}

/**
 * Records and runs one step with a timed pass per dispatch; resolves with the kernels'
 * GPU times. Every dispatch recorded until `step` (sync or async) returns is counted.
 */
export async function profileStep(g: GpuContext, step: () => void | Promise<void>): Promise<StepProfile> {
  await g.finish();
  const timer = new StepTimer(g.device, hasTimestamps(g.device));
  const t0 = performance.now();
  g.profiler = timer;
  try {
    await step();
    g.submit();
  } finally {
    g.profiler = null;
  }
  await g.device.queue.onSubmittedWorkDone();
  const wallMs = performance.now() - t0;
  const ns = await timer.durationsNs();
  const byKernel = new Map<string, KernelProfile>();
  timer.entries.forEach((e, i) => {
    let k = byKernel.get(e.label);
    if (!k)
      byKernel.set(e.label, (k = { kernel: e.label, calls: 0, ms: timer.timed ? 0 : null, flops: 0, bytes: 0, gflops: null, gbps: null }));
    k.calls++;
    k.flops += e.flops;
    k.bytes += e.bytes;
    if (k.ms !== null) k.ms += (ns[i] ?? 0) / 1e6;
  });
  const kernels = [...byKernel.values()];
  for (const k of kernels) {
    if (k.ms && k.ms > 0) {
      k.gflops = k.flops > 0 ? k.flops / (k.ms * 1e6) : null;
      k.gbps = k.bytes > 0 ? k.bytes / (k.ms * 1e6) : null;
    }
  }
  kernels.sort((a, b) => (b.ms ?? 0) - (a.ms ?? 0) || b.calls - a.calls);
  const a = g.adapter;
  const adapter = [a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' / ') || 'unnamed adapter';
  return {
    adapter,
    timer: timer.timed ? 'timestamp' : 'none',
    dispatches: timer.entries.length,
    gpuMs: timer.timed ? kernels.reduce((s, k) => s + (k.ms ?? 0), 0) : null,
    wallMs,
    kernels,
    peak: adapterPeak(adapter),
  };
}

/**
 * Datasheet f32 (non-tensor-core) throughput and memory bandwidth of a few GPUs, matched on
 * the adapter's names. WebGPU does not report peaks; an adapter not listed gets none.
 */
const PEAKS: [RegExp, AdapterPeak][] = [
  [/h200/i, { gflops: 67_000, gbps: 4_800, source: 'NVIDIA H200 SXM datasheet (FP32 67 TFLOP/s, 4.8 TB/s)' }],
  [/h100/i, { gflops: 67_000, gbps: 3_350, source: 'NVIDIA H100 SXM datasheet (FP32 67 TFLOP/s, 3.35 TB/s)' }],
  [/a100/i, { gflops: 19_500, gbps: 2_039, source: 'NVIDIA A100 80GB SXM datasheet (FP32 19.5 TFLOP/s, 2.0 TB/s)' }],
  [/rtx 4090/i, { gflops: 82_600, gbps: 1_008, source: 'GeForce RTX 4090 specifications (82.6 TFLOP/s, 1008 GB/s)' }],
  [/rtx 3090/i, { gflops: 35_600, gbps: 936, source: 'GeForce RTX 3090 specifications (35.6 TFLOP/s, 936 GB/s)' }],
];

export function adapterPeak(adapter: string): AdapterPeak | null {
  return PEAKS.find(([re]) => re.test(adapter))?.[1] ?? null;
}

/**
 * GPU milliseconds of `record`'s work, the mean over `reps` passes: from timestamps where
 * the device has them, else wall time to an idle queue (then other work in the queue counts).
 */
export async function timeGpuWork(
  device: GPUDevice,
  record: (pass: GPUComputePassEncoder) => void,
  reps: number,
): Promise<{ ms: number; timer: 'timestamp' | 'wall' }> {
  if (!hasTimestamps(device)) {
    const t0 = performance.now();
    const enc = device.createCommandEncoder();
    for (let i = 0; i < reps; i++) {
      const pass = enc.beginComputePass();
      record(pass);
      pass.end();
    }
    device.queue.submit([enc.finish()]);
    await device.queue.onSubmittedWorkDone();
    return { ms: (performance.now() - t0) / reps, timer: 'wall' };
  }
  const set = device.createQuerySet({ type: 'timestamp', count: 2 * reps });
  const resolve = device.createBuffer({ size: 16 * reps, usage: QUERY_RESOLVE | COPY_SRC });
  const read = device.createBuffer({ size: 16 * reps, usage: MAP_READ | COPY_DST });
  try {
    const enc = device.createCommandEncoder();
    for (let i = 0; i < reps; i++) {
      const pass = enc.beginComputePass({
        timestampWrites: { querySet: set, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 },
      });
      record(pass);
      pass.end();
    }
    enc.resolveQuerySet(set, 0, 2 * reps, resolve, 0);
    enc.copyBufferToBuffer(resolve, 0, read, 0, 16 * reps);
    device.queue.submit([enc.finish()]);
    await read.mapAsync(1);
    const t = new BigInt64Array(read.getMappedRange().slice(0));
    read.unmap();
    let ns = 0;
    for (let i = 0; i < reps; i++) ns += Math.max(0, Number(t[2 * i + 1] - t[2 * i]));
    return { ms: ns / 1e6 / reps, timer: 'timestamp' };
  } finally {
    set.destroy();
    resolve.destroy();
    read.destroy();
  }
}
