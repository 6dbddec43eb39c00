import { DataFileError } from '../errors';
import { decodeNumericMember, decodeStringMember, findMember } from '../h5/decode';
import type { H5Source } from '../h5/source';
import type { DatasetInfo } from '../h5/types';
import { REQUIRED_MEMBERS } from './layout';
import type { ImageMeta } from './meta';

/** Shape/type checks of one larcv3 compound table. */
export function tableInfo(src: H5Source, path: string): DatasetInfo {
  const info = src.info(path);
  const base = path.split('/').pop()!;
  if (info.shape.length !== 1)
    throw new DataFileError({
      code: 'bad-shape',
      file: src.fileName,
      dataset: path,
      problem: `shape [${info.shape.join(', ')}]`,
      expected: 'a 1-D table',
    });
  const required = REQUIRED_MEMBERS[base];
  if (required) {
    if (info.dtype.kind !== 'compound')
      throw new DataFileError({
        code: 'bad-dtype',
        file: src.fileName,
        dataset: path,
        problem: `dtype ${info.dtypeText}`,
        expected: `a compound with ${required.join(', ')}`,
      });
    const missing = required.filter((m) => !findMember(info.dtype, m));
    if (missing.length)
      throw new DataFileError({
        code: 'bad-dtype',
        file: src.fileName,
        dataset: path,
        problem: `compound lacks member(s) ${missing.join(', ')}`,
        expected: `members ${required.join(', ')}`,
      });
  }
  return info;
}

/** Reads rows [start, start+count) of a compound table and decodes the named numeric members. */
export function readColumns(src: H5Source, path: string, start: number, count: number, members: string[]): Record<string, Float64Array> {
  const info = tableInfo(src, path);
  if (start < 0 || start + count > info.shape[0]!)
    throw new DataFileError({
      code: 'out-of-range',
      file: src.fileName,
      dataset: path,
      problem: `rows ${start}..${start + count} referenced but the table has ${info.shape[0]} rows`,
      expected: `rows within 0..${info.shape[0]}`,
    });
  const bytes = src.readRows(path, start, count);
  const out: Record<string, Float64Array> = {};
  for (const m of members) {
    const mem = findMember(info.dtype, m);
    if (!mem) throw new DataFileError({ code: 'bad-dtype', file: src.fileName, dataset: path, problem: `no member ${m}` });
    out[m] = decodeNumericMember(bytes, info.dtype.size, mem);
  }
  return out;
}

export function readStringColumn(src: H5Source, path: string, start: number, count: number, member: string): string[] {
  const info = tableInfo(src, path);
  const mem = findMember(info.dtype, member);
  if (!mem || mem.type.kind !== 'string') return new Array(count).fill('');
  return decodeStringMember(src.readRows(path, start, count), info.dtype.size, mem);
}

/** Reads image_meta rows into ImageMeta objects, checking the grid is sane. */
export function readMetas(src: H5Source, path: string, start: number, count: number, dim: number): ImageMeta[] {
  const info = tableInfo(src, path);
  const sizesMember = findMember(info.dtype, 'number_of_voxels');
  const d = sizesMember?.type.kind === 'array' ? sizesMember.type.shape.reduce((a, b) => a * b, 1) : 1;
  if (d !== dim)
    throw new DataFileError({
      code: 'bad-dtype',
      file: src.fileName,
      dataset: path,
      problem: `ImageMeta has ${d} axes`,
      expected: `${dim} axes`,
    });
  const hasValid = !!findMember(info.dtype, 'valid');
  const c = readColumns(src, path, start, count, [
    'projection_id',
    'image_sizes',
    'number_of_voxels',
    'origin',
    ...(hasValid ? ['valid'] : []),
  ]);
  const out: ImageMeta[] = [];
  for (let i = 0; i < count; i++) {
    const m: ImageMeta = {
      valid: hasValid ? c['valid']![i] !== 0 : true,
      projectionId: c['projection_id']![i]!,
      imageSizes: Array.from(c['image_sizes']!.subarray(i * dim, (i + 1) * dim)),
      numberOfVoxels: Array.from(c['number_of_voxels']!.subarray(i * dim, (i + 1) * dim)),
      origin: Array.from(c['origin']!.subarray(i * dim, (i + 1) * dim)),
    };
    if (
      m.numberOfVoxels.some((n) => !Number.isInteger(n) || n <= 0 || n > 2 ** 26) ||
      [...m.imageSizes, ...m.origin].some((x) => !Number.isFinite(x))
    )
      throw new DataFileError({
        code: 'bad-shape',
        file: src.fileName,
        dataset: path,
        problem: `row ${start + i}: invalid grid number_of_voxels=[${m.numberOfVoxels}] image_sizes=[${m.imageSizes}] origin=[${m.origin}]`,
        expected: 'positive voxel counts and finite sizes',
      });
    out.push(m);
  }
  return out;
}

/**
 * Given extents rows (first, N), the smallest row window [lo, hi) of the next
 * table that covers them all, after checking they fit into `tableLength` rows.
 */
export function coverWindow(
  src: H5Source,
  extentsPath: string,
  firstRow: number,
  first: Float64Array,
  n: Float64Array,
  targetPath: string,
  tableLength: number,
): { lo: number; hi: number } {
  let lo = Infinity;
  let hi = 0;
  for (let i = 0; i < first.length; i++) {
    const f = first[i]!;
    const k = n[i]!;
    if (!(f >= 0) || !(k >= 0) || f + k > tableLength)
      throw new DataFileError({
        code: 'out-of-range',
        file: src.fileName,
        dataset: extentsPath,
        problem: `row ${firstRow + i} points to rows ${f}..${f + k} of ${targetPath}, which has ${tableLength} rows`,
        expected: `first + N <= ${tableLength}`,
      });
    if (k > 0) {
      lo = Math.min(lo, f);
      hi = Math.max(hi, f + k);
    }
  }
  return lo === Infinity ? { lo: 0, hi: 0 } : { lo, hi };
}
