import type { SideTiming, TimingPlan } from './types';

/** One implementation of a bench case: records one step, and waits for the GPU to finish. */
export interface Side {
  /** Records and submits one step; must not wait for the GPU. */
  step(): void;
  /** Submits anything still pending and resolves when the GPU queue is idle. */
  settle(): Promise<void>;
}

/** Wall time of `iters` back-to-back steps, up to an idle queue, per step. */
async function sample(side: Side, iters: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < iters; i++) side.step();
  await side.settle();
  return (performance.now() - t0) / iters;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function warmUp(side: Side, plan: TimingPlan): Promise<number> {
  for (let i = 0; i < plan.warmup; i++) {
    side.step();
    await side.settle();
  }
  return sample(side, 1);
}

export interface PairTiming {
  a: SideTiming;
  b: SideTiming;
  /** a/b for each pair of back-to-back samples. */
  ratios: number[];
}

/**
 * Times two implementations of the same step. Samples of the two sides alternate, and
 * each pair of neighbouring samples gives one ratio, so load from other processes on a
 * shared machine cancels in the ratio even where it shifts the absolute times. Each side
 * runs as many steps per sample as fill `targetSampleMs`, judged from its own warm step.
 */
export async function timePair(a: Side, b: Side, plan: TimingPlan): Promise<PairTiming> {
  const itersFor = (stepMs: number) =>
    Math.max(1, Math.min(plan.maxItersPerSample, Math.ceil(plan.targetSampleMs / Math.max(stepMs, 1e-3))));
  const iters = [itersFor(await warmUp(a, plan)), itersFor(await warmUp(b, plan))];
  const samples: [number[], number[]] = [[], []];
  const start = performance.now();
  for (let s = 0; s < plan.samples; s++) {
    if (s >= plan.minSamples && performance.now() - start > plan.budgetMs) break;
    // Alternate which side goes first so neither always follows the other's GPU work.
    for (const k of s % 2 ? [1, 0] : [0, 1]) samples[k].push(await sample(k ? b : a, iters[k]));
  }
  const summary = (k: number): SideTiming => ({ medianMs: median(samples[k]), samplesMs: samples[k], itersPerSample: iters[k] });
  return { a: summary(0), b: summary(1), ratios: samples[0].map((x, s) => x / samples[1][s]) };
}
