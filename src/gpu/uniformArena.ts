import type { Uniform } from './context';

const UNIFORM = 0x40,
  COPY_DST = 0x8;

/** Bytes per uniform buffer: one writeBuffer covers up to this many bytes of a submit's blocks. */
export const UNIFORM_CHUNK_BYTES = 64 * 1024;

export interface UniformSlot {
  buffer: GPUBuffer;
  /** Index of the buffer among the arena's chunks (part of bind-group cache keys). */
  chunk: number;
  offset: number;
  size: number;
}

/**
 * The uniform blocks of one submit, packed at `align`-byte offsets into a few long-lived
 * uniform buffers and staged in CPU memory; flush() uploads them with one writeBuffer per
 * chunk just before the submit. Reusing the same buffers for the next submit is safe: its
 * writeBuffer is queued after the previous submit, so it lands after those commands ran.
 * The n-th block of every submit gets the same slot, so a step recorded twice binds the
 * same (buffer, offset) and its bind groups can be reused.
 */
export class UniformArena {
  private chunks: GPUBuffer[] = [];
  private staging: ArrayBuffer[] = [];
  private views: DataView[] = [];
  private chunk = 0;
  private cursor = 0;
  writes = 0;

  constructor(
    private device: GPUDevice,
    private align: number,
  ) {}

  /** Packs `values` (4 bytes each, block padded to 16) into the next slot. */
  alloc(values: Uniform[]): UniformSlot {
    const size = Math.max(16, Math.ceil((values.length * 4) / 16) * 16);
    if (size > UNIFORM_CHUNK_BYTES) throw new Error(`uniform block of ${size} bytes exceeds ${UNIFORM_CHUNK_BYTES}`);
    if (this.cursor + size > UNIFORM_CHUNK_BYTES) {
      this.chunk++;
      this.cursor = 0;
    }
    this.ensureChunk(this.chunk);
    const offset = this.cursor;
    const view = this.views[this.chunk];
    for (let i = 0; i < values.length; i++) {
      const [type, v] = values[i];
      if (type === 'u32') view.setUint32(offset + i * 4, v, true);
      else if (type === 'i32') view.setInt32(offset + i * 4, v, true);
      else view.setFloat32(offset + i * 4, v, true);
    }
    // Padding words stay whatever an earlier submit left there: no shader reads them.
    this.cursor = Math.ceil((offset + size) / this.align) * this.align;
    return { buffer: this.chunks[this.chunk], chunk: this.chunk, offset, size };
  }

  private ensureChunk(c: number): void {
    while (this.chunks.length <= c) {
      const i = this.chunks.length;
      this.chunks.push(this.device.createBuffer({ size: UNIFORM_CHUNK_BYTES, usage: UNIFORM | COPY_DST, label: `uniforms-${i}` }));
      this.staging.push(new ArrayBuffer(UNIFORM_CHUNK_BYTES));
      this.views.push(new DataView(this.staging[i]));
    }
  }

  /** Uploads the blocks allocated since the last flush; call right before queue.submit. */
  flush(): void {
    if (this.chunk === 0 && this.cursor === 0) return;
    for (let c = 0; c <= this.chunk; c++) {
      const bytes = c < this.chunk ? UNIFORM_CHUNK_BYTES : this.cursor;
      if (!bytes) continue;
      this.device.queue.writeBuffer(this.chunks[c], 0, this.staging[c], 0, bytes);
      this.writes++;
    }
    this.chunk = 0;
    this.cursor = 0;
  }

  get chunkCount(): number {
    return this.chunks.length;
  }

  destroy(): void {
    for (const b of this.chunks) b.destroy();
    this.chunks = [];
    this.staging = [];
    this.views = [];
  }
}
