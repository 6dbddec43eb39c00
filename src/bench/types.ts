/** What the runner asks the bench page to measure, and what the page reports back. */

export type CaseSpec =
  | { kind: 'matmul'; n: number }
  | { kind: 'mlp'; batch: number; widths: number[] };

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

export interface CaseResult {
  id: string;
  label: string;
  /** Floating-point work per step, for GFLOP/s (multiply-add = 2). */
  flops: number;
  ours: SideTiming;
  tfjs: SideTiming;
  /** Median over sample pairs of ours/tfjs (each pair taken back to back). */
  ratio: number;
  ratios: number[];
  check: AgreementCheck;
}

export interface PageInfo {
  userAgent: string;
  adapter: { vendor: string; architecture: string; device: string; description: string; isFallbackAdapter: boolean };
  tfjsBackend: string;
  tfjsVersion: string;
}

/** The API main.ts puts on `window` for the runner. */
export interface BenchApi {
  init(): Promise<PageInfo>;
  run(spec: CaseSpec, plan: TimingPlan): Promise<CaseResult>;
}

declare global {
  interface Window {
    bench?: BenchApi;
  }
}
