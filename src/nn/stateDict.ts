/**
 * A state dict on the host: dotted names → typed arrays with shapes, as PyTorch's
 * `state_dict()` saved with safetensors. Floating entries may be F32, F16, BF16 or F64
 * (raw 16-bit patterns for the half types); counters are I64 (PyTorch's
 * `num_batches_tracked`) or I32.
 */
export type StateDtype = 'F32' | 'F16' | 'BF16' | 'F64' | 'I64' | 'I32';

export type StateEntry =
  | { dtype: 'F32'; shape: number[]; data: Float32Array }
  | { dtype: 'F64'; shape: number[]; data: Float64Array }
  | { dtype: 'F16' | 'BF16'; shape: number[]; data: Uint16Array }
  | { dtype: 'I64'; shape: number[]; data: BigInt64Array }
  | { dtype: 'I32'; shape: number[]; data: Int32Array };

export type StateDict = Record<string, StateEntry>;

export const DTYPE_BYTES: Record<StateDtype, number> = { F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, I32: 4 };

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE half → float (subnormals, infinities and NaN included). */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** float → IEEE half, rounding to nearest even; overflow gives ±Inf. */
export function floatToHalf(v: number): number {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const e = (x >>> 23) & 0xff;
  let m = x & 0x7fffff;
  if (e === 0xff) return sign | 0x7c00 | (m ? 0x200 : 0);
  const he = e - 127 + 15;
  if (he >= 31) return sign | 0x7c00;
  if (he <= 0) {
    if (he < -10) return sign;
    m |= 0x800000;
    const shift = 14 - he;
    let hm = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && hm & 1)) hm++;
    return sign | hm;
  }
  const hm = m >>> 13;
  const rem = m & 0x1fff;
  let out = sign | (he << 10) | hm;
  if (rem > 0x1000 || (rem === 0x1000 && hm & 1)) out++;
  return out;
}

export function bf16ToFloat(b: number): number {
  u32[0] = b << 16;
  return f32[0];
}

/** float → bfloat16, rounding to nearest even (NaN stays NaN). */
export function floatToBf16(v: number): number {
  f32[0] = v;
  const x = u32[0];
  if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) return (x >>> 16) | 0x40;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

export function entryToFloat32(e: StateEntry): Float32Array {
  switch (e.dtype) {
    case 'F32':
      return e.data;
    case 'F64':
      return Float32Array.from(e.data);
    case 'F16':
      return Float32Array.from(e.data, halfToFloat);
    case 'BF16':
      return Float32Array.from(e.data, bf16ToFloat);
    case 'I64':
      return Float32Array.from(e.data, (v) => Number(v));
    case 'I32':
      return Float32Array.from(e.data);
  }
}

export function entryToInt(e: StateEntry, kind: 'i32' | 'u32'): Int32Array | Uint32Array {
  const C = kind === 'i32' ? Int32Array : Uint32Array;
  if (e.dtype === 'I64') {
    const out = new C(e.data.length);
    e.data.forEach((v, i) => {
      if (v > 0x7fffffffn || v < (kind === 'i32' ? -0x80000000n : 0n)) throw new Error(`value ${v} does not fit a 32-bit counter`);
      out[i] = Number(v);
    });
    return out;
  }
  return C.from(entryToFloat32(e));
}

/** A float32 entry (what our exporters produce). */
export function f32Entry(data: Float32Array, shape: readonly number[]): StateEntry {
  return { dtype: 'F32', shape: [...shape], data };
}

/** An entry of the given dtype from tensor values (halves rounded to nearest even, integers truncated). */
export function entryFromValues(values: ArrayLike<number>, shape: readonly number[], dtype: StateDtype): StateEntry {
  const s = [...shape];
  switch (dtype) {
    case 'F32':
      return { dtype, shape: s, data: values instanceof Float32Array ? values : Float32Array.from(values) };
    case 'F64':
      return { dtype, shape: s, data: Float64Array.from(values) };
    case 'F16':
      return { dtype, shape: s, data: Uint16Array.from(values, floatToHalf) };
    case 'BF16':
      return { dtype, shape: s, data: Uint16Array.from(values, floatToBf16) };
    case 'I64':
      return { dtype, shape: s, data: BigInt64Array.from(Array.from(values, (v) => BigInt(Math.trunc(v)))) };
    case 'I32':
      return { dtype, shape: s, data: Int32Array.from(values, Math.trunc) };
  }
}
