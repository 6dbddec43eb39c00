import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { Engine } from '../../src/tensor/engine';
import type { Side } from './timing';
import type { AgreementCheck } from './types';

/** Our engine and the tfjs WebGPU backend, living side by side in one page. */
export interface BenchContext {
  engine: Engine;
  tfBackend: WebGPUBackend;
}

/** A further implementation of ours, timed against the same tfjs samples. */
export interface PreparedVariant {
  name: string;
  side: Side | null;
  skipped?: string;
}

/** A case with its inputs uploaded to both implementations. */
export interface PreparedCase {
  id: string;
  label: string;
  flops: number;
  /** Null where a side cannot run (its reason in `skipped`); check() may null a side that failed. */
  ours: Side | null;
  tfjs: Side | null;
  skipped?: { ours?: string; tfjs?: string };
  variants?: PreparedVariant[];
  /** Work items per step (events, sets), for items/s. */
  items?: { count: number; unit: string };
  /** Measure the peak GPU memory of one step of each side (after the check, before timing). */
  measureMemory?: boolean;
  /** Peak bytes the check already measured (saves a step where steps take a minute). */
  memory?: { ours?: number; tfjs?: number };
  /** Runs both once and compares them (and, where cheap, an f64 reference). */
  check(): Promise<AgreementCheck>;
  dispose(): void;
}

export function oursSettle(engine: Engine): () => Promise<void> {
  return () => engine.gpu.finish();
}

/**
 * tfjs records dispatches into its own encoder and submits every 15 of them; flush the
 * rest, then wait on its device's queue, so a sample ends when its work has run.
 */
export function tfjsSettle(backend: WebGPUBackend): () => Promise<void> {
  return async () => {
    backend.ensureCommandEncoderReady();
    backend.endComputePassEncoder();
    backend.submitQueue();
    await backend.device.queue.onSubmittedWorkDone();
  };
}

/** Peak bytes of our buffer pool in use during one step (inputs and parameters included). */
export async function oursPeakBytes(engine: Engine, side: Side): Promise<number> {
  await side.settle();
  engine.gpu.pool.resetPeak();
  side.step();
  await side.settle();
  return engine.gpu.pool.getStats().peakInUseBytes;
}

/**
 * Peak bytes of tfjs's GPU buffers in use during one step: its buffer manager's
 * numBytesUsed (what tf.memory() reports as numBytesInGPU), sampled after every buffer it
 * acquires. tfjs has no peak counter of its own for GPU buffers (tf.profile counts tensors).
 */
export async function tfjsPeakBytes(backend: WebGPUBackend, side: Side): Promise<number> {
  await side.settle();
  const bm = backend.bufferManager;
  let peak = bm.numBytesUsed;
  const acquire = bm.acquireBuffer;
  bm.acquireBuffer = function (...args: Parameters<typeof acquire>) {
    const b = acquire.apply(this, args);
    peak = Math.max(peak, bm.numBytesUsed);
    return b;
  };
  try {
    side.step();
    await side.settle();
  } finally {
    bm.acquireBuffer = acquire;
  }
  return peak;
}
