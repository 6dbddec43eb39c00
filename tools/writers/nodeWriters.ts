import { encodeLarcv3, type Larcv3Spec } from './larcv3Encode';
import { encodeSpanet, type SpanetSpec } from './spanetEncode';
import type { DatasetSpec } from './h5write';
import { writeH5NodeFile } from './nodeWrite';

/** Writes a genuine larcv3-layout file (Node). `mutate` may alter the encoded datasets (tests of bad files). */
export async function writeLarcv3File(path: string, spec: Larcv3Spec, mutate?: (ds: DatasetSpec[]) => DatasetSpec[]): Promise<void> {
  const ds = encodeLarcv3(spec);
  await writeH5NodeFile(path, mutate ? mutate(ds) : ds);
}

/** Writes a SPANet v2 file (Node). */
export async function writeSpanetFile(path: string, spec: SpanetSpec, mutate?: (ds: DatasetSpec[]) => DatasetSpec[]): Promise<void> {
  const ds = encodeSpanet(spec);
  await writeH5NodeFile(path, mutate ? mutate(ds) : ds);
}
