import type { SideTiming, TimingPlan } from './types';

/** One implementation of a bench case: records one step, and waits for the GPU to finish. */
export interface Side {
  /** Records and submits one step; must not wait for the GPU. */
  step(): void;
  /** Submits anything still pending and resolves when the GPU queue is idle. */
  settle(): Promise<void>;
}

/** Wall time of `iters` back-to-back steps, up to an idle queue, per step. */
async function sample(side: Side, iters: number, now: () => number): Promise<number> {
  const t0 = now();
  for (let i = 0; i < iters; i++) side.step();
  await side.settle();
  return (now() - t0) / iters;
}

export function median(xs: number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function warmUp(side: Side, plan: TimingPlan, now: () => number): Promise<number> {
  for (let i = 0; i < plan.warmup; i++) {
    side.step();
    await side.settle();
  }
  return sample(side, 1, now);
}

export interface PairTiming {
  a: SideTiming;
  b: SideTiming;
  /** a/b for each pair of back-to-back samples. */
  ratios: number[];
}

export interface GroupTiming {
  /** Per side, null where the side was null (not run). */
  timings: (SideTiming | null)[];
  /** Per side, its sample / the last side's sample of the same round (empty for the last side or a missing one). */
  ratios: number[][];
}

/**
 * Times several implementations of the same step against the last one (the reference).
 * Samples of the sides alternate round by round (the order rotates each round so none always
 * follows another's GPU work), and each side's sample divided by the reference's sample of
 * the same round gives one ratio, so load from other processes on a shared machine cancels
 * in the ratio even where it shifts the absolute times. Each side runs as many steps per
 * sample as fill `targetSampleMs`, judged from its own warm step. A side whose warm step
 * exceeds `capStepMs` keeps that step as its only sample.
 */
export async function timeSides(
  sides: (Side | null)[],
  plan: TimingPlan,
  now: () => number = () => performance.now(),
): Promise<GroupTiming> {
  const itersFor = (stepMs: number) =>
    Math.max(1, Math.min(plan.maxItersPerSample, Math.ceil(plan.targetSampleMs / Math.max(stepMs, 1e-3))));
  const samples: number[][] = sides.map(() => []);
  const iters: number[] = sides.map(() => 0);
  const capped: boolean[] = sides.map(() => false);
  for (const [k, side] of sides.entries()) {
    if (!side) continue;
    const warm = await warmUp(side, plan, now);
    iters[k] = itersFor(warm);
    if (plan.capStepMs !== undefined && warm > plan.capStepMs) {
      capped[k] = true;
      iters[k] = 1;
      samples[k].push(warm);
    }
  }
  const live = sides.map((s, k) => (s && !capped[k] ? k : -1)).filter((k) => k >= 0);
  const start = now();
  for (let s = 0; s < plan.samples && live.length; s++) {
    if (s >= plan.minSamples && now() - start > plan.budgetMs) break;
    for (let j = 0; j < live.length; j++) {
      const k = live[(j + s) % live.length];
      samples[k].push(await sample(sides[k]!, iters[k], now));
    }
  }
  const ref = sides.length - 1;
  const timings = sides.map((side, k): SideTiming | null =>
    side ? { medianMs: median(samples[k]), samplesMs: samples[k], itersPerSample: iters[k] } : null,
  );
  const ratios = sides.map((side, k) => {
    if (!side || k === ref || !sides[ref]) return [];
    const n = Math.min(samples[k].length, samples[ref].length);
    return samples[k].slice(0, n).map((x, r) => x / samples[ref][r]);
  });
  return { timings, ratios };
}

/** timeSides for two sides: a timed against b. */
export async function timePair(a: Side, b: Side, plan: TimingPlan): Promise<PairTiming> {
  const { timings, ratios } = await timeSides([a, b], plan);
  return { a: timings[0]!, b: timings[1]!, ratios: ratios[0] };
}
