import type * as H5 from 'h5wasm';
import { H5T } from '../../src/data/h5/dtype';
import type { DType } from '../../src/data/h5/types';

/**
 * One dataset to write: raw bytes already in `type`'s layout (see encode.ts).
 * `chunks` makes it chunked with unlimited max size (as larcv3 writes them).
 */
export interface DatasetSpec {
  path: string;
  type: DType;
  shape: number[];
  bytes: Uint8Array;
  chunks?: number[];
  gzip?: number;
  attrs?: Record<string, string | number | number[]>;
}

export interface H5WriteLib {
  File: typeof H5.File;
  ready: Promise<typeof H5.Module>;
}

const H5S_UNLIMITED = 18446744073709551615n;

interface ArrayPatch {
  name: string;
  offset: number;
  dims: number[];
  /** the member declared after it (name, offset): tells apart compounds sharing a member at the same offset */
  next?: { name: string; offset: number };
}

/**
 * h5wasm 0.10 writes compound datasets (its create_dataset takes a compound
 * dtype and packs a Map of columns), but its C layer cannot create ARRAY
 * members ("H5T_ARRAY for write is not yet implemented") and it computes packed
 * offsets. So we build the write metadata ourselves (explicit offsets and row
 * size, padding included) and call Module.create_dataset with our raw bytes.
 * An array member (ImageMeta's image_sizes f8[D], ...) is written as a scalar
 * of its base type at the same offset, with the whole array's bytes in place
 * (the row gap behind it); patchArrayMembers then turns it into an array member
 * in the file (see there).
 */
function writeMeta(
  t: DType,
  patches: ArrayPatch[],
  memberName?: string,
  memberOffset = 0,
  next?: ArrayPatch['next'],
): Record<string, unknown> {
  const base = { vlen: false, littleEndian: true, signed: false };
  switch (t.kind) {
    case 'int':
      return { ...base, type: H5T.INTEGER, size: t.size, signed: t.signed };
    case 'bool':
      return { ...base, type: H5T.INTEGER, size: 1 };
    case 'float':
      return { ...base, type: H5T.FLOAT, size: t.size };
    case 'string':
      return { ...base, type: H5T.STRING, size: t.size, cset: t.ascii ? 0 : 1 };
    case 'array':
      if (!memberName) throw new Error('array types can only be written as compound members');
      patches.push({ name: memberName, offset: memberOffset, dims: t.shape, ...(next ? { next } : {}) });
      return writeMeta(t.base, patches);
    case 'compound': {
      const members = t.members.map((m, i) => {
        const nx = t.members[i + 1];
        const meta = writeMeta(m.type, patches, m.name, m.offset, nx ? { name: nx.name, offset: nx.offset } : undefined);
        return { ...meta, name: m.name, offset: m.offset };
      });
      return { ...base, type: H5T.COMPOUND, size: t.size, compound_type: { members, nmembers: members.length } };
    }
    default:
      throw new Error(`cannot write ${t.kind} datasets`);
  }
}

/** Writes a new HDF5 file at `fsPath` (a path h5wasm's FS can reach: a host path in Node). */
export async function writeH5File(
  lib: H5WriteLib,
  fsPath: string,
  datasets: DatasetSpec[],
  rootAttrs: Record<string, string | number> = {},
): Promise<ArrayPatch[]> {
  const M = await lib.ready;
  // earliest low bound: compound datatypes are encoded as datatype message v1 (see patchArrayMembers)
  const f = new lib.File(fsPath, 'w', { libver: ['earliest', 'latest'] });
  const patches: ArrayPatch[] = [];
  try {
    for (const [k, v] of Object.entries(rootAttrs)) f.create_attribute(k, v);
    const groups = new Set<string>();
    for (const ds of datasets) {
      const parts = ds.path.split('/').filter(Boolean);
      let g = '';
      for (const p of parts.slice(0, -1)) {
        g += '/' + p;
        if (!groups.has(g)) {
          if (!f.get(g)) M.create_group(f.file_id, g, false);
          groups.add(g);
        }
      }
      const meta = writeMeta(ds.type, patches);
      const shape = ds.shape.map(BigInt);
      const nbytes = ds.shape.reduce((a, b) => a * b, 1) * ds.type.size;
      if (ds.bytes.byteLength !== nbytes) throw new Error(`${ds.path}: ${ds.bytes.byteLength} bytes given for ${nbytes}`);
      const full = {
        ...meta,
        shape,
        maxshape: ds.chunks ? ds.shape.map(() => H5S_UNLIMITED) : shape,
        chunks: ds.chunks ? ds.chunks.map(BigInt) : null,
        compression: ds.gzip ? 1 : 0,
        compression_opts: ds.gzip ? [ds.gzip] : [],
        track_order: false,
      };
      const ptr = M._malloc(Math.max(1, nbytes));
      try {
        M.HEAPU8.set(ds.bytes, ptr);
        M.create_dataset(f.file_id, '/' + parts.join('/'), BigInt(ptr), full as never);
      } finally {
        M._free(ptr);
      }
      if (ds.attrs) {
        const d = f.get(ds.path) as H5.Dataset;
        for (const [k, v] of Object.entries(ds.attrs)) d.create_attribute(k, v);
      }
    }
  } finally {
    f.flush();
    f.close();
  }
  return patches;
}

/**
 * Turns scalar compound members into array members directly in the file bytes.
 * With the default (earliest) format bounds HDF5 encodes compound datatypes as
 * datatype message version 1, where every member record is
 *   name (NUL-terminated, padded to 8) | offset u32 | ndims u8 | 3 reserved |
 *   permutation u32 | 4 reserved | 4 × dim size u32 | member type
 * and a member with ndims > 0 is read as an array of its base type. Setting
 * ndims = 1 and dim[0] = D changes no sizes, so the file stays consistent.
 * Returns how many member records were patched.
 */
export function patchArrayMembers(bytes: Uint8Array, patches: ArrayPatch[]): number {
  let count = 0;
  const seen = new Set<string>();
  for (const p of patches) {
    const key = `${p.name}@${p.offset}:${p.dims.join('x')}>${p.next?.name}@${p.next?.offset}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (p.dims.length > 4) throw new Error('array members have at most 4 dimensions in datatype v1');
    const { pat, padded } = memberRecord(p.name, p.offset);
    const nextPat = p.next ? memberRecord(p.next.name, p.next.offset).pat.subarray(0, -1) : null;
    for (let i = indexOf(bytes, pat, 0); i >= 0; i = indexOf(bytes, pat, i + 1)) {
      if (i > 0 && bytes[i - 1] !== 0) continue; // must start a name field
      if (nextPat) {
        // the following member record must be the expected one (within this member's type message)
        const j = indexOf(bytes, nextPat, i + pat.length);
        if (j < 0 || j - i > 256) continue;
      }
      const dv = new DataView(bytes.buffer, bytes.byteOffset + i + padded);
      dv.setUint8(4, p.dims.length);
      for (let d = 0; d < p.dims.length; d++) dv.setUint32(16 + 4 * d, p.dims[d]!, true);
      count++;
    }
  }
  return count;
}

/** name (NUL-padded to 8) | offset u32 | ndims = 0 */
function memberRecord(name: string, offset: number): { pat: Uint8Array; padded: number } {
  const enc = new TextEncoder().encode(name);
  const padded = Math.ceil((enc.length + 1) / 8) * 8;
  const pat = new Uint8Array(padded + 5);
  pat.set(enc, 0);
  new DataView(pat.buffer).setUint32(padded, offset, true);
  return { pat, padded };
}

function indexOf(hay: Uint8Array, needle: Uint8Array, from: number): number {
  const first = needle[0]!;
  outer: for (let i = hay.indexOf(first, from); i >= 0 && i + needle.length <= hay.length; i = hay.indexOf(first, i + 1)) {
    for (let j = 1; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
