import { openNodeH5 } from '../../src/data/h5/node';
import { FileSessions } from '../../src/data/worker/session';
import type { DataWorkerClient } from '../../src/data/worker/client';
import type { JaggedSetsLayout } from '../../src/data/generic/sets';
import type { Larcv3Spec, SparsePlane } from '../../tools/writers/larcv3Encode';
import { denseToLarcv3 } from '../../tools/writers/denseToLarcv3';
import { syntheticPlanes } from '../../src/tasks/cosmic/synthetic';
import { resolveFileData } from '../../src/tasks/fromFile/convert';
import { loadTaskData } from '../../src/tasks/fromFile/load';
import { trainingOptions } from '../../src/tasks/fromFile/options';
import { detectKind } from '../../src/data/detect';
import { buildTree } from '../../src/data/h5/tree';
import type { TaskData } from '../../src/tasks/types';
import { larcv3Fixture } from '../data/fixtures';

/** The data worker's reads, answered in-process by the same session code. */
export function localClient(sessions: FileSessions): DataWorkerClient {
  return {
    readEntries: async (id: string, product: string, producer: string, r: { start: number; end: number }) =>
      sessions.readEntries(id, product, producer, r.start, r.end),
    readSpanet: async (id: string, r: { start: number; end: number }) => sessions.readSpanet(id, r.start, r.end),
    readSets: async (id: string, layout: JaggedSetsLayout, target: string) => sessions.readSets(id, layout, target),
    readHits: async (id: string, layout: JaggedSetsLayout, idColumn: string) => sessions.readHits(id, layout, idColumn),
  } as unknown as DataWorkerClient;
}

/**
 * Reads a file as the app does (open, detect, the option whose title matches, loadTaskData on
 * the page) and converts it as the training worker does. Returns both, or throws what they throw.
 */
export async function readAsApp(path: string, pick: (title: string) => boolean): Promise<{ payload: TaskData; data: TaskData }> {
  const src = await openNodeH5(path);
  const sessions = new FileSessions();
  try {
    const tree = buildTree(src);
    sessions.add('f', src, 0, false);
    const option = trainingOptions(detectKind(src, tree), tree).find((o) => pick(o.title));
    if (!option) throw new Error(`no option matches in ${path}`);
    const payload = await loadTaskData(localClient(sessions), 'f', path.split('/').pop()!, option);
    return { payload, data: resolveFileData(structuredClone(payload)) };
  } finally {
    src.close();
  }
}

/**
 * A CosmicTagger-style file from synthetic planes (image "wire", labels "cosmicseg"), with
 * the label planes edited by `edit` (entry, plane) → plane or null to drop it. Metas are
 * copied so that label edits leave the image planes alone.
 */
export async function cosmicFile(
  dir: string,
  name: string,
  edit?: (pl: SparsePlane, e: number, p: number) => SparsePlane | SparsePlane[] | null,
  events = 4,
): Promise<string> {
  const spec: Larcv3Spec = denseToLarcv3(syntheticPlanes({ events, size: 16, seed: 11 }), 'wire', 'cosmicseg');
  const label = spec.products[1]!;
  if (edit && label.type === 'sparse2d') {
    label.entries = label.entries.map((planes, e) => planes.flatMap((pl, p) => edit({ ...pl, meta: { ...pl.meta } }, e, p) ?? []));
  }
  return larcv3Fixture(dir, name, spec);
}
