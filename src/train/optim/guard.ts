/**
 * The step guard (shaders/optim_guard.wgsl): per step, one reduction over all gradients gives
 * the global norm, the clip factor and the skip flag, and advances the optimiser step count
 * only on good steps, all on the GPU. The update kernels read the same buffer; nothing is
 * read back inside a step. The sticky flags (loss / per-parameter non-finite, overflow) are
 * read with the metric ring and cleared after each read.
 */
import { grid1d } from '../../gpu/grid';
import type { GpuContext } from '../../gpu/context';
import type { Tensor } from '../../tensor/tensor';
import { OPTIM_SHADERS } from './shaders';

/** Byte offsets of the Guard struct's fields. */
export const GUARD = { clip: 0, norm: 4, skip: 8, t: 12, skipped: 16, consecutive: 20, lossBad: 24, overflow: 28, bad: 32 } as const;
const CHUNK = 4096; // gradient elements per partial (CHUNK in optim_guard.wgsl)
const PARTIAL_BYTES = 16;

export interface GuardSnapshot {
  clip: number;
  norm: number;
  skip: boolean;
  /** Optimiser steps taken (skipped steps do not count). */
  t: number;
  skipped: number;
  consecutive: number;
  /** Sticky since the last clear: the loss was non-finite in some step. */
  lossBad: boolean;
  /** Sticky: some element's update would have overflowed and was held. */
  overflow: boolean;
  /** Sticky: parameter indices whose gradient was non-finite (or too large). */
  badParams: number[];
}

export function decodeGuard(bytes: ArrayBuffer, paramCount: number): GuardSnapshot {
  const f = new Float32Array(bytes, 0, 8);
  const u = new Uint32Array(bytes);
  const badParams: number[] = [];
  for (let i = 0; i < paramCount; i++) if (u[GUARD.bad / 4 + i]) badParams.push(i);
  return {
    clip: f[0],
    norm: f[1],
    skip: u[2] !== 0,
    t: u[3],
    skipped: f[4],
    consecutive: f[5],
    lossBad: u[6] !== 0,
    overflow: u[7] !== 0,
    badParams,
  };
}

export class StepGuard {
  readonly buffer: GPUBuffer;
  readonly bytes: number;
  private partials: GPUBuffer | null = null;
  private partialCapacity = 0;
  private segs: GPUBuffer | null = null;
  private segKey = '';
  private segCount = 0;

  constructor(
    private gpu: GpuContext,
    readonly paramCount: number,
  ) {
    this.bytes = GUARD.bad + 4 * Math.max(1, paramCount);
    this.buffer = gpu.alloc(this.bytes, 'optim-guard', true);
    const init = new ArrayBuffer(this.bytes);
    new Float32Array(init, 0, 1)[0] = 1; // clip
    gpu.write(this.buffer, new Uint8Array(init));
  }

  /**
   * Records the reduction over the gradients of `params` (parameters without one are left
   * out) and the step decision. `loss` non-finite also skips the step.
   */
  record(params: readonly Tensor<'f32'>[], opts: { loss?: Tensor<'f32'>; gradScale: number; maxNorm: number }): void {
    const g = this.gpu;
    const present: [number, Tensor<'f32'>][] = [];
    params.forEach((p, i) => p.grad && present.push([i, p.grad]));
    const counts = present.map(([, t]) => Math.ceil(t.size / CHUNK));
    const total = counts.reduce((a, b) => a + b, 0);
    this.ensurePartials(total);
    this.ensureSegments(
      present.map(([i]) => i),
      counts,
    );
    let base = 0;
    present.forEach(([, grad], j) => {
      if (counts[j]) {
        g.dispatch(OPTIM_SHADERS.optimGuard, 'grad_partials', [grad.buffer, this.partials!], grid1d(grad.size, CHUNK), [
          ['u32', grad.size],
          ['u32', base],
          ['u32', 0],
          ['u32', 0],
        ]);
      }
      base += counts[j];
    });
    g.dispatch(
      OPTIM_SHADERS.optimGuard,
      'guard_finalize',
      [this.partials!, this.segs!, opts.loss?.buffer ?? g.placeholder('read'), this.buffer],
      [1],
      [
        ['u32', this.segCount],
        ['u32', opts.loss ? 1 : 0],
        ['u32', 0],
        ['u32', 0],
        ['f32', opts.gradScale],
        ['f32', opts.maxNorm > 0 ? opts.maxNorm : 0],
        ['f32', 0],
        ['f32', 0],
      ],
    );
  }

  private ensurePartials(n: number): void {
    const need = Math.max(1, n) * PARTIAL_BYTES;
    if (this.partials && this.partialCapacity >= need) return;
    if (this.partials) this.gpu.release(this.partials);
    this.partials = this.gpu.alloc(need, 'optim-partials');
    this.partialCapacity = need;
  }

  private ensureSegments(indices: number[], counts: number[]): void {
    const key = `${indices.join(',')}|${counts.join(',')}`;
    if (this.segs && key === this.segKey) return;
    const data = new Uint32Array(4 * Math.max(1, indices.length));
    let start = 0;
    indices.forEach((p, j) => {
      data.set([start, counts[j], p, 0], 4 * j);
      start += counts[j];
    });
    if (this.segs) this.gpu.release(this.segs);
    this.segs = this.gpu.alloc(data.byteLength, 'optim-segments', true);
    this.gpu.write(this.segs, data);
    this.segKey = key;
    this.segCount = indices.length;
  }

  /** Reads the whole guard (a readback: not inside the training loop). */
  async read(): Promise<GuardSnapshot> {
    return decodeGuard(await this.gpu.read(this.buffer, this.bytes), this.paramCount);
  }

  /**
   * Clears the sticky flags. Queue-ordered: copies of the guard recorded and submitted before
   * this call still see the old flags.
   */
  clearSticky(): void {
    this.gpu.write(this.buffer, new Uint32Array((this.bytes - GUARD.lossBad) / 4), GUARD.lossBad);
  }

  /** Sets the step count and the skipped-step total (checkpoint restore). */
  setCounters(t: number, skipped: number): void {
    const b = new ArrayBuffer(8);
    new Uint32Array(b, 0, 1)[0] = t;
    new Float32Array(b, 4, 1)[0] = skipped;
    this.gpu.write(this.buffer, new Uint8Array(b), GUARD.t);
  }

  dispose(): void {
    this.gpu.release(this.buffer);
    if (this.partials) this.gpu.release(this.partials);
    if (this.segs) this.gpu.release(this.segs);
    this.partials = this.segs = null;
  }
}
