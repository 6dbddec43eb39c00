/**
 * Reuses GPU buffers by size class so that a training step allocates nothing after the
 * first one. Sizes round up to 1/8 of their power of two, so at most 12.5% is wasted.
 */
export function sizeClass(bytes: number): number {
  const b = Math.max(16, Math.ceil(bytes / 16) * 16);
  if (b <= 256) return 256;
  const step = 2 ** (Math.floor(Math.log2(b)) - 3);
  return Math.ceil(b / step) * step;
}

export interface PoolStats {
  allocatedBytes: number;
  inUseBytes: number;
  peakInUseBytes: number;
  buffers: number;
}

export class BufferPool {
  private free = new Map<string, GPUBuffer[]>();
  private pending: GPUBuffer[] = [];
  private size = new Map<GPUBuffer, number>();
  private stats: PoolStats = { allocatedBytes: 0, inUseBytes: 0, peakInUseBytes: 0, buffers: 0 };

  constructor(private device: GPUDevice) {}

  acquire(bytes: number, usage: GPUBufferUsageFlags, label?: string): GPUBuffer {
    const cls = sizeClass(bytes);
    const key = `${usage}:${cls}`;
    let buf = this.free.get(key)?.pop();
    if (!buf) {
      buf = this.device.createBuffer({ size: cls, usage, label });
      this.size.set(buf, cls);
      this.stats.allocatedBytes += cls;
      this.stats.buffers++;
    }
    this.stats.inUseBytes += cls;
    this.stats.peakInUseBytes = Math.max(this.stats.peakInUseBytes, this.stats.inUseBytes);
    return buf;
  }

  /**
   * Released buffers only become reusable at the next submit: a queue.writeBuffer into a
   * buffer that an unsubmitted encoder still reads would land before that read.
   */
  release(buf: GPUBuffer): void {
    this.pending.push(buf);
  }

  /** Called by the context after each queue submit. */
  recycle(): void {
    for (const buf of this.pending) {
      const cls = this.size.get(buf)!;
      this.stats.inUseBytes -= cls;
      const key = `${buf.usage}:${cls}`;
      let list = this.free.get(key);
      if (!list) this.free.set(key, (list = []));
      list.push(buf);
    }
    this.pending.length = 0;
  }

  /** Frees every idle buffer (e.g. after a model is discarded). */
  trim(): void {
    for (const list of this.free.values()) {
      for (const buf of list) {
        this.stats.allocatedBytes -= this.size.get(buf)!;
        this.stats.buffers--;
        this.size.delete(buf);
        buf.destroy();
      }
    }
    this.free.clear();
  }

  resetPeak(): void {
    this.stats.peakInUseBytes = this.stats.inUseBytes;
  }

  getStats(): PoolStats {
    return { ...this.stats };
  }
}
