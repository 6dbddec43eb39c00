import { describe, expect, it } from 'vitest';
import { median, timeSides, type Side } from '../../tools/bench/timing';
import type { TimingPlan } from '../../tools/bench/types';

/** Sides on a fake clock: each step advances it by the side's cost; the log records who ran. */
function fakeSides(costs: number[]) {
  let clock = 0;
  const log: number[] = [];
  const sides: Side[] = costs.map((c, k) => ({
    step() {
      clock += c;
      log.push(k);
    },
    async settle() {},
  }));
  return { sides, log, now: () => clock };
}

const PLAN: TimingPlan = { warmup: 1, samples: 4, budgetMs: 1e9, minSamples: 2, targetSampleMs: 10, maxItersPerSample: 100 };

describe('timeSides', () => {
  it('times each side per step and gives ratios against the last side', async () => {
    const { sides, now } = fakeSides([2, 5, 4]);
    const { timings, ratios } = await timeSides(sides, PLAN, now);
    expect(timings.map((t) => t!.medianMs)).toEqual([2, 5, 4]);
    // Steps per sample fill targetSampleMs from the warm step: ceil(10 / cost).
    expect(timings.map((t) => t!.itersPerSample)).toEqual([5, 2, 3]);
    expect(timings.map((t) => t!.samplesMs.length)).toEqual([4, 4, 4]);
    expect(ratios[0]).toEqual([0.5, 0.5, 0.5, 0.5]);
    expect(ratios[1]).toEqual([1.25, 1.25, 1.25, 1.25]);
    expect(ratios[2]).toEqual([]);
  });

  it('skips a null side and reports no ratio for it', async () => {
    const { sides, now } = fakeSides([3, 6]);
    const { timings, ratios } = await timeSides([sides[0], null, sides[1]], PLAN, now);
    expect(timings[1]).toBeNull();
    expect(ratios[1]).toEqual([]);
    expect(ratios[0]).toEqual([0.5, 0.5, 0.5, 0.5]);
  });

  it('rotates which side samples first from round to round', async () => {
    const { sides, log, now } = fakeSides([10, 10]);
    await timeSides(sides, { ...PLAN, warmup: 0 }, now);
    // One sizing step each, then rounds of one step each (10 ms fills the 10 ms target).
    expect(log).toEqual([0, 1, 0, 1, 1, 0, 0, 1, 1, 0]);
  });

  it('keeps the warm step as the only sample of a side over capStepMs', async () => {
    const { sides, log, now } = fakeSides([50, 2]);
    const { timings, ratios } = await timeSides(sides, { ...PLAN, warmup: 0, capStepMs: 20 }, now);
    expect(timings[0]).toEqual({ medianMs: 50, samplesMs: [50], itersPerSample: 1 });
    expect(timings[1]!.samplesMs.length).toBe(4);
    expect(ratios[0]).toEqual([25]);
    expect(log.filter((k) => k === 0)).toHaveLength(1);
  });

  it('stops after the budget once it has minSamples', async () => {
    const { sides, now } = fakeSides([10, 10]);
    const { timings } = await timeSides(sides, { ...PLAN, budgetMs: 25, samples: 10, minSamples: 2 }, now);
    // Each round takes 20 ms of fake time: rounds 0, 1 run; round 2 starts at 40 ms > 25 ms.
    expect(timings[0]!.samplesMs).toHaveLength(2);
  });

  it('median of nothing is NaN', () => {
    expect(median([])).toBeNaN();
    expect(median([3, 1, 2])).toBe(2);
  });
});
