/** A WebGPU error the device reported, with the kernel it came from where known. */
export interface GpuErrorRecord {
  message: string;
  /** "shader#entryPoint" of the dispatch that caused it, or null when unknown. */
  kernel: string | null;
  /** How many times this same message was reported since it was last taken. */
  count: number;
}

export interface GpuErrorBatch {
  errors: GpuErrorRecord[];
  /** Distinct errors dropped because the log was full. */
  dropped: number;
}

/**
 * Kernel names appear in Dawn's and Chromium's messages through object labels: pipelines
 * and bind groups are labelled "shader#entry", e.g. [BindGroup "adam.wgsl#adam_step"]. The
 * object called invalid comes first: a failed submit lists every command buffer of the step.
 */
export function kernelInMessage(message: string): string | null {
  const m = /\[Invalid [A-Za-z]+ "([^"#]+#[^"]+)"/.exec(message) ?? /"([^"#]+#[^"]+)"/.exec(message);
  return m ? m[1] : null;
}

/**
 * The device's errors, bounded: repeats of a message are counted, not stored again, and
 * past `limit` distinct messages the oldest are dropped (and counted).
 */
export class GpuErrorLog {
  private records: GpuErrorRecord[] = [];
  private dropped = 0;

  constructor(readonly limit = 50) {}

  push(message: string, kernel: string | null = kernelInMessage(message)): void {
    const same = this.records.find((r) => r.message === message && r.kernel === kernel);
    if (same) {
      same.count++;
      return;
    }
    this.records.push({ message, kernel, count: 1 });
    if (this.records.length > this.limit) {
      this.records.shift();
      this.dropped++;
    }
  }

  get size(): number {
    return this.records.length;
  }

  /** Everything logged since the last take, and empties the log. */
  take(): GpuErrorBatch {
    const out = { errors: this.records, dropped: this.dropped };
    this.records = [];
    this.dropped = 0;
    return out;
  }
}

export { appendErrorLines, formatGpuError } from '../train/errorLines';
