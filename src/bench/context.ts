import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { Engine } from '../tensor/engine';
import type { Side } from './timing';
import type { AgreementCheck } from './types';

/** Our engine and the tfjs WebGPU backend, living side by side in one page. */
export interface BenchContext {
  engine: Engine;
  tfBackend: WebGPUBackend;
}

/** A case with its inputs uploaded to both implementations. */
export interface PreparedCase {
  id: string;
  label: string;
  flops: number;
  ours: Side;
  tfjs: Side;
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
