/**
 * Plain, serialisable descriptions of HDF5 objects. Nothing here depends on
 * h5wasm, so the same types travel between the worker, the main thread and Node.
 */

export type DType =
  | { kind: 'int'; size: 1 | 2 | 4 | 8; signed: boolean; littleEndian: boolean }
  | { kind: 'float'; size: 2 | 4 | 8; littleEndian: boolean }
  | { kind: 'bool'; size: number } // h5py's enum {FALSE, TRUE}
  | { kind: 'enum'; size: number; signed: boolean; members: Record<string, number> }
  | { kind: 'string'; size: number; vlen: boolean; ascii: boolean }
  | { kind: 'compound'; size: number; members: CompoundMember[] }
  | { kind: 'array'; size: number; base: DType; shape: number[] }
  | { kind: 'other'; size: number; hdf5Class: number; description: string };

export interface CompoundMember {
  name: string;
  offset: number;
  type: DType;
}

export type AttrValue = number | string | boolean | number[] | string[] | null;

export interface DatasetInfo {
  path: string;
  name: string;
  shape: number[];
  maxshape: number[] | null;
  dtype: DType;
  /** numpy-like spelling: "<f4", "u1", "{id: <u8, value: <f4}", ... */
  dtypeText: string;
  chunks: number[] | null;
  filters: string[];
  /** HDF5 filter ids, parallel to `filters` (absent from sources that do not report them) */
  filterIds?: number[];
  attrs: Record<string, AttrValue>;
}

export interface TreeNode {
  kind: 'group' | 'dataset' | 'link' | 'other';
  name: string;
  path: string;
  attrs: Record<string, AttrValue>;
  children?: TreeNode[];
  dataset?: DatasetInfo;
  target?: string;
  /** a group whose members were not all listed: how many were left out, and why */
  cut?: { omitted: number; reason: 'node-limit' | 'depth-limit' };
  /** on the root only, when any group was cut: the limits and what they left out */
  truncated?: TreeTruncation;
}

export interface TreeTruncation {
  maxNodes: number;
  maxDepth: number;
  /** nodes listed in the tree */
  listed: number;
  /** members left out of groups because the node limit was reached */
  omittedByNodeLimit: number;
  /** groups below the depth limit whose members were not listed, and how many members they hold */
  groupsAtDepthLimit: number;
  omittedByDepthLimit: number;
}

export type NumericArray =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function isNumeric(t: DType): t is Extract<DType, { kind: 'int' | 'float' | 'bool' | 'enum' }> {
  return t.kind === 'int' || t.kind === 'float' || t.kind === 'bool' || t.kind === 'enum';
}

export function dtypeToText(t: DType): string {
  switch (t.kind) {
    case 'int':
      return `${t.littleEndian ? '<' : '>'}${t.signed ? 'i' : 'u'}${t.size}`;
    case 'float':
      return `${t.littleEndian ? '<' : '>'}f${t.size}`;
    case 'bool':
      return 'bool';
    case 'enum':
      return `enum{${Object.keys(t.members).join(',')}}`;
    case 'string':
      return t.vlen ? 'str' : `S${t.size}`;
    case 'array':
      return `${dtypeToText(t.base)}[${t.shape.join(',')}]`;
    case 'compound':
      return `{${t.members.map((m) => `${m.name}: ${dtypeToText(m.type)}`).join(', ')}}`;
    default:
      return t.description;
  }
}

/** Joins HDF5 paths: join('/a', 'b') === '/a/b', join('/', 'b') === '/b'. */
export function joinPath(parent: string, name: string): string {
  return parent === '/' || parent === '' ? `/${name}` : `${parent}/${name}`;
}

export function normPath(p: string): string {
  const s = ('/' + p).replace(/\/+/g, '/').replace(/\/$/, '');
  return s === '' ? '/' : s;
}
