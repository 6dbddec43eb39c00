/**
 * The timing loop of the kernel tuners (matmul tiles, conv engines): every candidate runs once
 * to compile and touch its buffers, then `rounds` rounds over all candidates keep each one's
 * best time, so a burst of other load (a shared machine, the page's own work) slows one round
 * of every candidate rather than one candidate. A candidate that fails validation is timed as
 * Infinity and never runs again.
 */
import { timeGpuWork } from './profiler';

export interface TimedCandidate {
  name: string;
  record: (pass: GPUComputePassEncoder) => void;
}

export async function timeCandidates(
  device: GPUDevice,
  candidates: TimedCandidate[],
  rounds: number,
): Promise<{ timesMs: Record<string, number>; timer: 'timestamp' | 'wall' }> {
  const timesMs: Record<string, number> = {};
  let timer: 'timestamp' | 'wall' = 'wall';
  const timeOne = async (c: TimedCandidate) => {
    device.pushErrorScope('validation');
    const r = await timeGpuWork(device, c.record, 1);
    const err = await device.popErrorScope();
    return err ? { ms: Infinity, timer: r.timer } : r;
  };
  for (const c of candidates) if ((await timeOne(c)).ms === Infinity) timesMs[c.name] = Infinity;
  for (let round = 0; round < rounds; round++) {
    for (const c of candidates) {
      if (timesMs[c.name] === Infinity) continue;
      const r = await timeOne(c);
      timer = r.timer;
      timesMs[c.name] = Math.min(timesMs[c.name] ?? Infinity, r.ms);
    }
  }
  return { timesMs, timer };
}
