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
  /** Released since the last submit: an unsubmitted encoder may still read them. */
  private dirty = new Set<GPUBuffer>();
  private size = new Map<GPUBuffer, number>();
  /** The recycle() count when each free buffer was last released, for idle trimming. */
  private releasedAt = new Map<GPUBuffer, number>();
  private recycles = 0;
  /** Told about every buffer the pool destroys (the bind-group cache drops its entries). */
  onDestroy: ((buf: GPUBuffer) => void) | null = null;
  private stats: PoolStats = { allocatedBytes: 0, inUseBytes: 0, peakInUseBytes: 0, buffers: 0 };

  constructor(private device: GPUDevice) {}

  /**
   * A buffer of at least `bytes`. One that will be filled by queue.writeBuffer (`forUpload`)
   * must not have been released since the last submit: the write would land before the
   * pending encoder's reads of its old contents. Buffers that only GPU commands write can be
   * reused at once, since commands in one queue run in order.
   */
  acquire(bytes: number, usage: GPUBufferUsageFlags, label?: string, forUpload = false): GPUBuffer {
    const cls = sizeClass(bytes);
    const key = `${usage}:${cls}`;
    let buf = this.take(key, forUpload);
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

  private take(key: string, forUpload: boolean): GPUBuffer | undefined {
    const list = this.free.get(key);
    if (!list?.length) return undefined;
    if (!forUpload) return list.pop();
    for (let i = list.length - 1; i >= 0; i--) {
      if (!this.dirty.has(list[i])) return list.splice(i, 1)[0];
    }
    return undefined;
  }

  release(buf: GPUBuffer): void {
    const cls = this.size.get(buf)!;
    this.stats.inUseBytes -= cls;
    this.dirty.add(buf);
    this.releasedAt.set(buf, this.recycles);
    const key = `${buf.usage}:${cls}`;
    let list = this.free.get(key);
    if (!list) this.free.set(key, (list = []));
    list.push(buf);
  }

  /** Called by the context after each queue submit. */
  recycle(): void {
    this.dirty.clear();
    this.recycles++;
  }

  /** Frees every idle buffer (e.g. after a model is discarded). */
  trim(): void {
    this.trimWhere(() => true);
  }

  /**
   * Frees the free buffers not reused in the last `submits` submits, returning the bytes
   * freed: memory a finished phase (an old model, a one-off evaluation) no longer needs.
   */
  trimIdle(submits: number): number {
    return this.trimWhere((buf) => this.recycles - (this.releasedAt.get(buf) ?? 0) >= submits);
  }

  /**
   * Buffers released since the last submit are kept: the pending encoder may use them,
   * and destroying them would make its submit fail.
   */
  private trimWhere(idle: (buf: GPUBuffer) => boolean): number {
    let freed = 0;
    for (const [key, list] of this.free) {
      const keep: GPUBuffer[] = [];
      for (const buf of list) {
        if (this.dirty.has(buf) || !idle(buf)) {
          keep.push(buf);
          continue;
        }
        const cls = this.size.get(buf)!;
        freed += cls;
        this.stats.allocatedBytes -= cls;
        this.stats.buffers--;
        this.size.delete(buf);
        this.releasedAt.delete(buf);
        this.onDestroy?.(buf);
        buf.destroy();
      }
      if (keep.length) this.free.set(key, keep);
      else this.free.delete(key);
    }
    return freed;
  }

  resetPeak(): void {
    this.stats.peakInUseBytes = this.stats.inUseBytes;
  }

  getStats(): PoolStats {
    return { ...this.stats };
  }
}
