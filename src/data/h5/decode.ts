import { halfToNumber } from './half';
import type { CompoundMember, DType, NumericArray } from './types';

/**
 * Decoding of raw HDF5 bytes (as laid out in the file: h5wasm reads with the
 * file's own datatype as memory type, so member offsets are the file's; it
 * converts byte order to little-endian, so everything here reads little-endian).
 * Pure functions over Uint8Array; fast loops over a DataView.
 */

export type Column = Float64Array | Float32Array | Int32Array | Uint32Array | string[];

function readScalar(dv: DataView, off: number, t: DType): number {
  switch (t.kind) {
    case 'float':
      if (t.size === 8) return dv.getFloat64(off, true);
      if (t.size === 4) return dv.getFloat32(off, true);
      return halfToNumber(dv.getUint16(off, true));
    case 'int':
      return readInt(dv, off, t.size, t.signed, true);
    case 'bool':
      return dv.getUint8(off) ? 1 : 0;
    case 'enum':
      return readInt(dv, off, t.size as 1 | 2 | 4 | 8, t.signed, true);
    default:
      return NaN;
  }
}

function readInt(dv: DataView, off: number, size: number, signed: boolean, le: boolean): number {
  switch (size) {
    case 1:
      return signed ? dv.getInt8(off) : dv.getUint8(off);
    case 2:
      return signed ? dv.getInt16(off, le) : dv.getUint16(off, le);
    case 4:
      return signed ? dv.getInt32(off, le) : dv.getUint32(off, le);
    case 8: {
      // exact below 2^53, which covers voxel ids and extents of any real file
      const lo = dv.getUint32(off + (le ? 0 : 4), le);
      const hi = signed ? dv.getInt32(off + (le ? 4 : 0), le) : dv.getUint32(off + (le ? 4 : 0), le);
      return hi * 4294967296 + lo;
    }
    default:
      return NaN;
  }
}

/** A member path such as "vtx.x" or "image_sizes" into a (possibly nested) compound. */
export function findMember(t: DType, path: string): { offset: number; type: DType } | null {
  let offset = 0;
  let cur: DType = t;
  for (const part of path.split('.')) {
    if (cur.kind !== 'compound') return null;
    const m: CompoundMember | undefined = cur.members.find((x) => x.name === part);
    if (!m) return null;
    offset += m.offset;
    cur = m.type;
  }
  return { offset, type: cur };
}

/**
 * Decodes one numeric member of every row into a Float64Array (array members give
 * rows×elements values, row-major). `rowSize` is the compound size from the file.
 */
export function decodeNumericMember(bytes: Uint8Array, rowSize: number, member: { offset: number; type: DType }): Float64Array {
  const n = Math.floor(bytes.byteLength / rowSize);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const t = member.type;
  if (t.kind === 'array') {
    const k = t.shape.reduce((a, b) => a * b, 1);
    const es = t.base.size;
    const out = new Float64Array(n * k);
    for (let i = 0; i < n; i++) {
      const base = i * rowSize + member.offset;
      for (let j = 0; j < k; j++) out[i * k + j] = readScalar(dv, base + j * es, t.base);
    }
    return out;
  }
  const out = new Float64Array(n);
  // fast paths for the common little-endian cases
  if (t.kind === 'float' && t.size === 4) {
    for (let i = 0, o = member.offset; i < n; i++, o += rowSize) out[i] = dv.getFloat32(o, true);
  } else if (t.kind === 'float' && t.size === 8) {
    for (let i = 0, o = member.offset; i < n; i++, o += rowSize) out[i] = dv.getFloat64(o, true);
  } else if (t.kind === 'int' && t.size === 4) {
    if (t.signed) for (let i = 0, o = member.offset; i < n; i++, o += rowSize) out[i] = dv.getInt32(o, true);
    else for (let i = 0, o = member.offset; i < n; i++, o += rowSize) out[i] = dv.getUint32(o, true);
  } else if (t.kind === 'int' && t.size === 8 && !t.signed) {
    for (let i = 0, o = member.offset; i < n; i++, o += rowSize) out[i] = dv.getUint32(o + 4, true) * 4294967296 + dv.getUint32(o, true);
  } else {
    for (let i = 0, o = member.offset; i < n; i++, o += rowSize) out[i] = readScalar(dv, o, t);
  }
  return out;
}

/** Fixed-length string member of every row (stops at the first NUL). */
export function decodeStringMember(bytes: Uint8Array, rowSize: number, member: { offset: number; type: DType }): string[] {
  const n = Math.floor(bytes.byteLength / rowSize);
  const dec = new TextDecoder();
  const out: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const s = i * rowSize + member.offset;
    let e = s;
    const end = s + member.type.size;
    while (e < end && bytes[e] !== 0) e++;
    out[i] = dec.decode(bytes.subarray(s, e));
  }
  return out;
}

/** Leaf members of a compound with dotted names, e.g. vtx.x, vtx.y, ..., process. */
export function flattenMembers(t: DType, prefix = '', base = 0): { name: string; offset: number; type: DType }[] {
  if (t.kind !== 'compound') return [];
  const out: { name: string; offset: number; type: DType }[] = [];
  for (const m of t.members) {
    const name = prefix ? `${prefix}.${m.name}` : m.name;
    if (m.type.kind === 'compound') out.push(...flattenMembers(m.type, name, base + m.offset));
    else out.push({ name, offset: base + m.offset, type: m.type });
  }
  return out;
}

/** Decodes every leaf member of a compound dataset's rows into columns. */
export function decodeCompound(bytes: Uint8Array, t: DType): Record<string, Float64Array | string[]> {
  if (t.kind !== 'compound') throw new Error('decodeCompound: not a compound type');
  const out: Record<string, Float64Array | string[]> = {};
  for (const m of flattenMembers(t)) {
    if (m.type.kind === 'string') out[m.name] = decodeStringMember(bytes, t.size, m);
    else out[m.name] = decodeNumericMember(bytes, t.size, m);
  }
  return out;
}

/** Numeric typed array (from h5wasm) → Float64Array, BigInts converted exactly below 2^53. */
export function toFloat64(a: NumericArray): Float64Array {
  if (a instanceof Float64Array) return a;
  const out = new Float64Array(a.length);
  if (a instanceof BigInt64Array || a instanceof BigUint64Array) for (let i = 0; i < a.length; i++) out[i] = Number(a[i]);
  else for (let i = 0; i < a.length; i++) out[i] = (a as Exclude<NumericArray, BigInt64Array | BigUint64Array>)[i]!;
  return out;
}

export function toFloat32(a: NumericArray): Float32Array {
  if (a instanceof Float32Array) return a;
  const out = new Float32Array(a.length);
  if (a instanceof BigInt64Array || a instanceof BigUint64Array) for (let i = 0; i < a.length; i++) out[i] = Number(a[i]);
  else out.set(a as Exclude<NumericArray, BigInt64Array | BigUint64Array>);
  return out;
}
