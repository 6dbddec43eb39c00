/**
 * The numbers of the Train panel's stream line, measured in the training worker: entries and
 * MB read per second of training time (over the last chunk of steps, so pauses and
 * evaluations do not dilute them), the ETA of the epoch at that rate, and the share of the
 * steps' wall time spent waiting for data (the Trainer's data_wait_ms per step).
 */
import type { StreamStats } from './types';

export interface StreamRates {
  entriesPerS: number;
  mbPerS: number;
  etaEpochS: number;
  inputFraction: number;
}

interface Point {
  wallMs: number;
  values: Record<string, number>;
}

export class StreamMeter {
  private mark: { ms: number; entries: number; bytes: number } | null = null;
  private waitMs = 0;
  private spanMs = 0;
  private lastWall: number | null = null;
  private rates: StreamRates = { entriesPerS: 0, mbPerS: 0, etaEpochS: Infinity, inputFraction: 0 };

  /** Call before a chunk of steps. */
  start(stats: StreamStats, nowMs: number): void {
    this.mark = { ms: nowMs, entries: stats.entriesRead, bytes: stats.bytesRead };
    this.waitMs = 0;
    this.spanMs = 0;
  }

  /** The Trainer's points of the chunk (data_wait_ms per step, wall time of each). */
  points(points: Point[]): void {
    for (const p of points) {
      const wait = p.values.data_wait_ms;
      if (wait === undefined) continue;
      if (this.lastWall !== null && p.wallMs > this.lastWall) this.spanMs += p.wallMs - this.lastWall;
      this.lastWall = p.wallMs;
      this.waitMs += wait;
    }
  }

  /** Call after the chunk: the rates over it (the previous ones when the chunk read nothing). */
  finish(stats: StreamStats, nowMs: number): StreamRates {
    const m = this.mark;
    this.mark = null;
    if (!m) return this.rates;
    const sec = (nowMs - m.ms) / 1000;
    const entries = stats.entriesRead - m.entries;
    if (sec > 0 && entries > 0) {
      const entriesPerS = entries / sec;
      this.rates = {
        entriesPerS,
        mbPerS: (stats.bytesRead - m.bytes) / 1e6 / sec,
        etaEpochS: Math.max(0, stats.epochSize - stats.position) / entriesPerS,
        inputFraction: this.spanMs > 0 ? Math.min(1, this.waitMs / this.spanMs) : this.rates.inputFraction,
      };
    }
    return this.rates;
  }

  /** Training restarted from a pause: the wall time in between is not a step's. */
  resume(): void {
    this.lastWall = null;
  }
}
