import type { CompoundMember, DType } from './types';

/**
 * h5wasm's `Metadata` (type class numbers from H5T_class_t) → our DType.
 * Kept structural so it does not import h5wasm.
 */
export interface H5Meta {
  type: number;
  size: number;
  signed: boolean;
  littleEndian: boolean;
  vlen: boolean;
  cset?: number;
  shape?: number[] | null;
  compound_type?: { members: (H5Meta & { name: string; offset: number })[]; nmembers: number };
  array_type?: H5Meta;
  enum_type?: { members: Record<string, number>; nmembers: number; type: number };
}

export const H5T = {
  INTEGER: 0,
  FLOAT: 1,
  TIME: 2,
  STRING: 3,
  BITFIELD: 4,
  OPAQUE: 5,
  COMPOUND: 6,
  REFERENCE: 7,
  ENUM: 8,
  VLEN: 9,
  ARRAY: 10,
} as const;

const CLASS_NAMES: Record<number, string> = {
  2: 'time',
  4: 'bitfield',
  5: 'opaque',
  7: 'reference',
  9: 'vlen',
};

export function metaToDType(m: H5Meta): DType {
  switch (m.type) {
    case H5T.INTEGER:
      return { kind: 'int', size: m.size as 1 | 2 | 4 | 8, signed: m.signed, littleEndian: m.littleEndian };
    case H5T.FLOAT:
      return { kind: 'float', size: m.size as 2 | 4 | 8, littleEndian: m.littleEndian };
    case H5T.STRING:
      return { kind: 'string', size: m.size, vlen: m.vlen, ascii: m.cset === 0 };
    case H5T.ENUM: {
      const members = m.enum_type?.members ?? {};
      const keys = Object.keys(members);
      if (keys.length === 2 && members['FALSE'] === 0 && members['TRUE'] === 1) return { kind: 'bool', size: m.size };
      return { kind: 'enum', size: m.size, signed: m.signed, members };
    }
    case H5T.COMPOUND: {
      const members: CompoundMember[] = (m.compound_type?.members ?? []).map((mm) => ({
        name: mm.name,
        offset: mm.offset,
        type: metaToDType(mm),
      }));
      return { kind: 'compound', size: m.size, members };
    }
    case H5T.ARRAY: {
      const base = m.array_type!;
      return { kind: 'array', size: m.size, base: metaToDType(base), shape: [...(base.shape ?? [])] };
    }
    default:
      return { kind: 'other', size: m.size, hdf5Class: m.type, description: CLASS_NAMES[m.type] ?? `class${m.type}` };
  }
}
