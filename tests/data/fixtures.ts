import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { demoLarcv3Spec } from '../../tools/writers/demoLarcv3';
import { demoSpanetSpec } from '../../tools/writers/demoSpanet';
import type { Larcv3Spec } from '../../tools/writers/larcv3Encode';
import type { SpanetSpec } from '../../tools/writers/spanetEncode';
import type { DatasetSpec } from '../../tools/writers/h5write';
import { writeLarcv3File, writeSpanetFile } from '../../tools/writers/nodeWriters';

/** SPANet's own example file, shared read-only next to the repository. */
export const SHARED_SPANET = resolve(__dirname, '../../../shared/data/spanet_semi_leptonic_ttH_example.h5');
export const hasSharedSpanet = existsSync(SHARED_SPANET);

export function tmpDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'data-test-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Small larcv3 spec used by most tests (fast to write, every product type). */
export function smallLarcv3Spec(seed = 1): Larcv3Spec {
  return demoLarcv3Spec({ events: 6, seed, grid2d: 64, grid3d: 16, gridImage: 8 });
}
export function smallSpanetSpec(seed = 2): SpanetSpec {
  return demoSpanetSpec({ events: 40, maxJets: 8, seed });
}

export async function larcv3Fixture(
  dir: string,
  name: string,
  spec = smallLarcv3Spec(),
  mutate?: (d: DatasetSpec[]) => DatasetSpec[],
): Promise<string> {
  const p = join(dir, name);
  await writeLarcv3File(p, spec, mutate);
  return p;
}
export async function spanetFixture(
  dir: string,
  name: string,
  spec = smallSpanetSpec(),
  mutate?: (d: DatasetSpec[]) => DatasetSpec[],
): Promise<string> {
  const p = join(dir, name);
  await writeSpanetFile(p, spec, mutate);
  return p;
}
