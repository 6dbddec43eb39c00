import type { GpuContext, RecordingMode, RecordingStats } from '../../src/gpu/context';
import type { Side } from './timing';

/** What recording one step of our side costs on the CPU, per step. */
export interface RecordingFigures {
  dispatches: number;
  bindGroupsCreated: number;
  uniformWrites: number;
  /** CPU ms inside GpuContext.dispatch(). */
  dispatchMs: number;
  /** CPU ms of the whole step() call: ops, tape, dispatches and submit, without waiting for the GPU. */
  stepMs: number;
}

export interface RecordingProfile {
  steps: number;
  cached: RecordingFigures;
  perDispatch: RecordingFigures;
}

async function measureMode(gpu: GpuContext, side: Side, mode: RecordingMode, steps: number, now: () => number): Promise<RecordingFigures> {
  gpu.recordingMode = mode;
  await side.settle();
  const a: RecordingStats = gpu.recordingStats();
  let stepMs = 0;
  for (let i = 0; i < steps; i++) {
    const t0 = now();
    side.step();
    stepMs += now() - t0;
    // Each step alone: SwiftShader runs the previous step's shaders on the same CPUs.
    await side.settle();
  }
  const b = gpu.recordingStats();
  return {
    dispatches: (b.dispatches - a.dispatches) / steps,
    bindGroupsCreated: (b.bindGroupsCreated - a.bindGroupsCreated) / steps,
    uniformWrites: (b.uniformWrites - a.uniformWrites) / steps,
    dispatchMs: (b.recordMs - a.recordMs) / steps,
    stepMs: stepMs / steps,
  };
}

/**
 * Steps on the cached path until one creates no bind group: the pool's free lists take a
 * dozen steps or so to hand each step the same buffers (the cache hits from then on). A
 * case whose steps are slow stops after WARM_BUDGET_MS and reports what it still creates.
 */
async function warmCache(gpu: GpuContext, side: Side, now: () => number): Promise<void> {
  gpu.recordingMode = 'cached';
  const t0 = now();
  for (let i = 0; i < WARM_MAX_STEPS && now() - t0 < WARM_BUDGET_MS; i++) {
    const before = gpu.recordingStats().bindGroupsCreated;
    side.step();
    await side.settle();
    if (gpu.recordingStats().bindGroupsCreated === before) return;
  }
}

const WARM_MAX_STEPS = 24;
const WARM_BUDGET_MS = 5000;

/**
 * Records `steps` steps of `side` with each recording path of the context. Run it after the
 * side has been timed: its pipelines are compiled and, for the cached path, its bind groups
 * are in the cache, as in steady training. The context's mode is restored afterwards.
 */
export async function measureRecording(
  gpu: GpuContext,
  side: Side,
  steps: number,
  now: () => number = () => performance.now(),
): Promise<RecordingProfile> {
  const mode = gpu.recordingMode;
  try {
    await warmCache(gpu, side, now);
    const cached = await measureMode(gpu, side, 'cached', steps, now);
    const perDispatch = await measureMode(gpu, side, 'perDispatch', steps, now);
    return { steps, cached, perDispatch };
  } finally {
    gpu.recordingMode = mode;
  }
}
