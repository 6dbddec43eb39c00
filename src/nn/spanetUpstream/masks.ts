/**
 * Host-side vector masks of upstream's network: which of the T × B vectors are real. The masks
 * come with the inputs, so they stay on the host and are uploaded in the layout each block
 * wants (upstream's sequence_mask [T, B, 1], padding_mask [B, T]).
 */
import type { Engine } from '../../tensor/engine';
import type { Tensor } from '../../tensor/tensor';

export class VectorMasks {
  /**
   * real[t · B + b] = 1 for a real vector (the attention's padding mask); seq likewise for
   * upstream's sequence_mask (zeroing between blocks, valid assignment tuples), which is all
   * ones with mask_sequence_vectors = false.
   */
  constructor(
    readonly T: number,
    readonly B: number,
    readonly real: Uint8Array,
    readonly seq: Uint8Array = real,
  ) {
    if (real.length !== T * B || seq.length !== T * B) throw new Error(`VectorMasks: ${real.length} flags for [${T}, ${B}]`);
  }

  /** From a batch-first [B, T] mask (non-zero = real), as the dataset gives it. */
  static fromBatchFirst(mask: ArrayLike<number>, B: number, T: number, maskSequence = true): VectorMasks {
    const real = new Uint8Array(T * B);
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) real[t * B + b] = mask[b * T + t] ? 1 : 0;
    return new VectorMasks(T, B, real, maskSequence ? real : new Uint8Array(T * B).fill(1));
  }

  static allReal(T: number, B: number): VectorMasks {
    return new VectorMasks(T, B, new Uint8Array(T * B).fill(1));
  }

  /** These vectors after those of `others`, along T (torch.cat(dim=0)). */
  static concat(parts: VectorMasks[]): VectorMasks {
    const B = parts[0].B;
    const real = new Uint8Array(parts.reduce((n, p) => n + p.real.length, 0));
    const seq = new Uint8Array(real.length);
    let o = 0;
    for (const p of parts) {
      if (p.B !== B) throw new Error('VectorMasks.concat: batch sizes differ');
      real.set(p.real, o);
      seq.set(p.seq, o);
      o += p.real.length;
    }
    return new VectorMasks(real.length / B, B, real, seq);
  }

  /** The rows t listed, in order (upstream's encoded_vectors[global_mask]). */
  select(rows: readonly number[]): VectorMasks {
    const pick = (flags: Uint8Array) => {
      const out = new Uint8Array(rows.length * this.B);
      rows.forEach((t, i) => out.set(flags.subarray(t * this.B, (t + 1) * this.B), i * this.B));
      return out;
    };
    return new VectorMasks(rows.length, this.B, pick(this.real), pick(this.seq));
  }

  /** Upstream's sequence mask at (t, b): what the output mask of the assignments reads. */
  inSequence(t: number, b: number): boolean {
    return this.seq[t * this.B + b] === 1;
  }

  /** [T, B, 1] f32 sequence mask: multiplying by it is upstream's Filling masking. */
  sequenceTensor(e: Engine): Tensor<'f32'> {
    return e.fromArray(Float32Array.from(this.seq), [this.T, this.B, 1]);
  }

  /** [B, T] f32, 1 for padding: torch's key_padding_mask. */
  paddingTensor(e: Engine): Tensor<'f32'> {
    const pad = new Float32Array(this.T * this.B);
    for (let t = 0; t < this.T; t++) for (let b = 0; b < this.B; b++) pad[b * this.T + t] = this.real[t * this.B + b] ? 0 : 1;
    return e.fromArray(pad, [this.B, this.T]);
  }
}
