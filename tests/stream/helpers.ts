import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeH5NodeFile } from '../../tools/writers/nodeWrite';
import { jaggedSetsDatasets } from '../../tools/writers/jaggedSets';

/**
 * A generic jagged-sets file of `n` sets: set k has 1 + k % 5 elements, x0 = k + j/10 for
 * element j, x1 = -k, target = k (so every value names its entry); `corrupt` entries get a
 * NaN in x0.
 */
export async function writeNumberedSets(n: number, corrupt: number[] = []): Promise<{ path: string; dir: string; cleanup: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'stream-'));
  const offsets = new Uint32Array(n + 1);
  for (let k = 0; k < n; k++) offsets[k + 1] = offsets[k] + 1 + (k % 5);
  const values = new Float32Array(offsets[n] * 2);
  for (let k = 0; k < n; k++) {
    for (let j = 0; j < offsets[k + 1] - offsets[k]; j++) {
      values[(offsets[k] + j) * 2] = k + j / 10;
      values[(offsets[k] + j) * 2 + 1] = -k;
    }
  }
  for (const k of corrupt) values[offsets[k] * 2] = NaN;
  const path = join(dir, 'sets.h5');
  await writeH5NodeFile(
    path,
    jaggedSetsDatasets(
      { values, offsets, width: 2 },
      Float32Array.from({ length: n }, (_, k) => k),
    ),
  );
  return { path, dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export const SETS_LAYOUT = { features: ['/sets/x0', '/sets/x1'], offsets: '/sets/counts', mode: 'counts' as const, sets: 0, targets: [] };
