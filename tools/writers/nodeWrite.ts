import { readFileSync, writeFileSync } from 'node:fs';
import { nodeH5Lib } from '../../src/data/h5/node';
import { patchArrayMembers, writeH5File, type DatasetSpec } from './h5write';

/** Writes `datasets` to a new HDF5 file at a host path (Node), array members patched in. */
export async function writeH5NodeFile(
  path: string,
  datasets: DatasetSpec[],
  rootAttrs: Record<string, string | number> = {},
): Promise<void> {
  const lib = await nodeH5Lib();
  const patches = await writeH5File(lib, path, datasets, rootAttrs);
  if (patches.length) {
    const bytes = new Uint8Array(readFileSync(path));
    const n = patchArrayMembers(bytes, patches);
    if (n === 0) throw new Error(`${path}: could not find the compound member records to patch`);
    writeFileSync(path, bytes);
  }
}
