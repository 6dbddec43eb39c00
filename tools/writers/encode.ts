import { flattenMembers } from '../../src/data/h5/decode';
import type { DType } from '../../src/data/h5/types';

/** Column data for encodeColumns: numbers (array members: n*k values, row-major) or strings. */
export type ColumnData = ArrayLike<number> | readonly string[];

function writeScalar(dv: DataView, off: number, t: DType, v: number): void {
  if (t.kind === 'float') {
    if (t.size === 8) dv.setFloat64(off, v, true);
    else dv.setFloat32(off, v, true);
  } else if (t.kind === 'int' || t.kind === 'bool' || t.kind === 'enum') {
    const signed = t.kind === 'bool' ? false : t.signed;
    switch (t.size) {
      case 1:
        signed ? dv.setInt8(off, v) : dv.setUint8(off, v);
        break;
      case 2:
        signed ? dv.setInt16(off, v, true) : dv.setUint16(off, v, true);
        break;
      case 4:
        signed ? dv.setInt32(off, v, true) : dv.setUint32(off, v, true);
        break;
      case 8:
        signed ? dv.setBigInt64(off, BigInt(Math.trunc(v)), true) : dv.setBigUint64(off, BigInt(Math.trunc(v)), true);
        break;
    }
  } else {
    throw new Error(`cannot encode a ${t.kind} scalar`);
  }
}

/**
 * Packs `n` rows of a compound type into bytes in the type's layout (member
 * offsets and row size as given, gaps zero). Nested compounds use dotted names.
 */
export function encodeColumns(type: DType, n: number, columns: Record<string, ColumnData>): Uint8Array {
  if (type.kind !== 'compound') throw new Error('encodeColumns: not a compound type');
  const out = new Uint8Array(n * type.size);
  const dv = new DataView(out.buffer);
  const enc = new TextEncoder();
  for (const m of flattenMembers(type)) {
    const col = columns[m.name];
    if (col === undefined) continue;
    if (m.type.kind === 'string') {
      const strs = col as readonly string[];
      for (let i = 0; i < n; i++) out.set(enc.encode(strs[i] ?? '').subarray(0, m.type.size - 1), i * type.size + m.offset);
    } else if (m.type.kind === 'array') {
      const k = m.type.shape.reduce((a, b) => a * b, 1);
      const base = m.type.base;
      const nums = col as ArrayLike<number>;
      for (let i = 0; i < n; i++)
        for (let j = 0; j < k; j++) writeScalar(dv, i * type.size + m.offset + j * base.size, base, nums[i * k + j] ?? 0);
    } else {
      const nums = col as ArrayLike<number>;
      for (let i = 0; i < n; i++) writeScalar(dv, i * type.size + m.offset, m.type, nums[i] ?? 0);
    }
  }
  return out;
}

/** Packs a plain numeric array into little-endian bytes of `type`. */
export function encodeNumbers(type: DType, values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length * type.size);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) writeScalar(dv, i * type.size, type, values[i]!);
  return out;
}
