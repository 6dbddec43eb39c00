/** What the runner asks the bench page to measure, and what the page reports back. */
import type { StepProfile } from '../../src/gpu/profiler';
import type { RecordingProfile } from './recording';

export type CaseSpec = (
  | { kind: 'matmul'; n: number }
  | { kind: 'mlp'; batch: number; widths: number[] }
  | { kind: 'deepset'; sets: number; meanSize: number; width: number; depth: number }
  | { kind: 'segmentSum'; rows: number; cols: number; segments: number }
  /** OC loss forward + backward on one event of n hits, k objects, d clustering coordinates. */
  | { kind: 'oc'; n: number; k: number; d: number }
  /** U-ResNet training step on `events` events of 3 planes of size×size (cosmic task defaults). */
  | { kind: 'uresnet'; events: number; size: number }
  /** Transformer encoder training step over `events` events of up to `jets` jets. */
  | { kind: 'spanet'; events: number; jets: number; layers: number; width: number; heads: number }
  /** SPANet v2 (upstream network + loss) training step at upstream's tt̄ options; tfjs: the encoder only. */
  | { kind: 'spanet-v2'; events?: number; jets?: number }
  /** SPANet v2's embedding + gated encoder alone at upstream's tt̄ options, against the same modules in tfjs. */
  | { kind: 'spanet-v2-encoder'; events?: number; jets?: number }
  /** The clustering task's training step (ours only: no tfjs twin). */
  | { kind: 'clustering'; eventsPerBatch: number; hidden: number }
) & {
  /** Overrides of the run's timing plan for this case (heavy cases sample less). */
  plan?: Partial<TimingPlan>;
};

export interface TimingPlan {
  /** Untimed steps before measuring (pipeline compilation, buffer pools, uploads). */
  warmup: number;
  /** Timed samples per side; the reported figure is their median. */
  samples: number;
  /** Sampling stops early once it has run this long and has `minSamples` (bounds a run on a busy machine). */
  budgetMs: number;
  minSamples: number;
  /** Each sample runs enough steps to last about this long, so short ops are not timer noise. */
  targetSampleMs: number;
  /** Upper bound on steps per sample. */
  maxItersPerSample: number;
  /**
   * A side whose warm step takes longer than this is not sampled further: its warm step is
   * its only sample (bounds the slowest cases on SwiftShader). Unset: no cap.
   */
  capStepMs?: number;
  /** Steps recorded per recording path for the CPU recording figures (default 5; 0 = skip). */
  recordSteps?: number;
}

export interface SideTiming {
  /** Median over samples of (sample wall time / steps in the sample). */
  medianMs: number;
  samplesMs: number[];
  itersPerSample: number;
}

export interface AgreementCheck {
  ok: boolean;
  /** One line saying what was compared and how close it came. */
  detail: string;
}

/** A further implementation of ours timed against the same tfjs samples (e.g. OC dense). */
export interface VariantResult {
  name: string;
  timing: SideTiming | null;
  /** Why it was not timed (out of memory, over the host budget). */
  skipped?: string;
  ratio: number;
  ratios: number[];
  peakBytes?: number;
}

export interface CaseResult {
  id: string;
  label: string;
  /** Floating-point work per step, for GFLOP/s (multiply-add = 2); 0 where not counted. */
  flops: number;
  /** Null where that side could not run; `skipped` says why. */
  ours: SideTiming | null;
  tfjs: SideTiming | null;
  skipped?: { ours?: string; tfjs?: string };
  /** Median over sample pairs of ours/tfjs (each pair taken back to back); NaN if a side is missing. */
  ratio: number;
  ratios: number[];
  check: AgreementCheck;
  /** Peak GPU bytes in use during one step, where the case measures it. */
  memory?: { ours?: number; tfjs?: number };
  /** Work items per step (events, sets), for items/s. */
  items?: { count: number; unit: string };
  variants?: VariantResult[];
  /** CPU cost of recording one step of ours, on each recording path. */
  recording?: RecordingProfile;
  /** GPU time per kernel of one step of ours (timestamp queries), after timing. */
  profile?: StepProfile;
}

export interface PageInfo {
  userAgent: string;
  adapter: { vendor: string; architecture: string; device: string; description: string; isFallbackAdapter: boolean };
  tfjsBackend: string;
  tfjsVersion: string;
  /** The recording path ours was timed with. */
  recordingMode: 'cached' | 'perDispatch';
  /** Whether performance.now() has fine resolution (cross-origin isolated page). */
  isolated: boolean;
}

/** The API main.ts puts on `window` for the runner. */
export interface BenchApi {
  init(options?: { perDispatch?: boolean }): Promise<PageInfo>;
  run(spec: CaseSpec, plan: TimingPlan): Promise<CaseResult>;
}

declare global {
  interface Window {
    bench?: BenchApi;
  }
}
