/**
 * Reading a large compound dataset (larcv3 voxels {id u8, value f4}): our raw-bytes decode
 * at the member offsets vs h5wasm's `.value`, in the same process. Prints both and the ratio.
 *   npx tsx scripts/bench-decode.ts [rows]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as H5 from 'h5wasm';
import { decodeCompound } from '../src/data/h5/decode';
import { nodeH5Lib, openNodeH5 } from '../src/data/h5/node';
import { VOXEL_T } from '../src/data/larcv3/layout';
import { encodeColumns } from '../tools/writers/encode';
import { writeH5NodeFile } from '../tools/writers/nodeWrite';

const n = Number(process.argv[2] ?? 1_000_000);
const dir = mkdtempSync(join(tmpdir(), 'bench-decode-'));
const p = join(dir, 'voxels.h5');
await writeH5NodeFile(p, [
  {
    path: '/voxels',
    type: VOXEL_T,
    shape: [n],
    bytes: encodeColumns(VOXEL_T, n, {
      id: Array.from({ length: n }, (_, i) => i * 7),
      value: Array.from({ length: n }, (_, i) => Math.sin(i)),
    }),
  },
]);
const src = await openNodeH5(p);
const lib = (await nodeH5Lib()) as unknown as typeof H5;
const f = new lib.File(p, 'r');
const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const time = (fn: () => void) =>
  median(
    Array.from({ length: 5 }, () => {
      const t = performance.now();
      fn();
      return performance.now() - t;
    }),
  );
const ours = time(() => decodeCompound(src.readRows('/voxels', 0, n), src.info('/voxels').dtype));
const theirs = time(() => void (f.get('/voxels') as H5.Dataset).value);
console.log(
  `${n} voxel rows: raw decode ${ours.toFixed(1)} ms, h5wasm .value ${theirs.toFixed(1)} ms, ratio .value / ours = ${(theirs / ours).toFixed(1)}x`,
);
f.close();
src.close();
rmSync(dir, { recursive: true, force: true });
process.exit(0);
