/**
 * Writes the demo data files into public/demo/ (run: npx tsx scripts/gen-demo-data.ts).
 *   larcv3_demo.h5  genuine larcv3 layout: sparse2d (data + label, 3 planes), cluster2d,
 *                   sparse3d, cluster3d, image2d, particle
 *   spanet_demo.h5  SPANet v2 layout: Momenta (jets + MASK), Met, TARGETS, REGRESSIONS, CLASSIFICATIONS
 *   cosmic_demo.h5  CosmicTagger-style larcv3: sparse2d sbndwire (charge) + sbnd_cosmicseg
 *                   (0 background, 1 cosmic, 2 neutrino), 3 planes of 128×128
 *   sets_demo.h5    generic HDF5 jagged sets (the Deep Sets toy problem): /sets/x0, /sets/x1,
 *                   /sets/counts, /target, /label
 *   sets_demo_val.h5 the same problem, other sets: a validation file for streamed training
 *   hits_demo.h5    generic HDF5 hits of tracking events: /hits/{x, y, r, object_id, counts}
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { demoLarcv3Spec } from '../tools/writers/demoLarcv3';
import { demoSpanetSpec } from '../tools/writers/demoSpanet';
import { writeLarcv3File, writeSpanetFile } from '../tools/writers/nodeWriters';
import { denseToLarcv3 } from '../tools/writers/denseToLarcv3';
import { syntheticPlanes } from '../src/tasks/cosmic/synthetic';
import { jaggedHitsDatasets, jaggedSetsDatasets } from '../tools/writers/jaggedSets';
import { generateTrackEvents } from '../src/tasks/clustering/data';
import { writeH5NodeFile } from '../tools/writers/nodeWrite';
import { toySets } from '../src/tasks/deepsets/data';
import { seededRandom } from '../src/nn/init';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'public', 'demo');
mkdirSync(out, { recursive: true });

const larcv = join(out, 'larcv3_demo.h5');
await writeLarcv3File(larcv, demoLarcv3Spec());
const spanet = join(out, 'spanet_demo.h5');
await writeSpanetFile(spanet, demoSpanetSpec());

const cosmic = join(out, 'cosmic_demo.h5');
await writeLarcv3File(cosmic, denseToLarcv3(syntheticPlanes({ events: 20, size: 128, seed: 2024 }), 'sbndwire', 'sbnd_cosmicseg'));

const setsFile = join(out, 'sets_demo.h5');
const toy = toySets(300, seededRandom(404));
await writeH5NodeFile(setsFile, jaggedSetsDatasets(toy.sets, toy.targets));

const setsValFile = join(out, 'sets_demo_val.h5');
const toyVal = toySets(100, seededRandom(405));
await writeH5NodeFile(setsValFile, jaggedSetsDatasets(toyVal.sets, toyVal.targets));

const hitsFile = join(out, 'hits_demo.h5');
const tracks = generateTrackEvents({ events: 100, minTracks: 3, maxTracks: 6, layers: 10, noiseHits: 8, seed: 505 });
await writeH5NodeFile(hitsFile, jaggedHitsDatasets(tracks, ['x', 'y', 'r']));

for (const f of [larcv, spanet, cosmic, setsFile, setsValFile, hitsFile]) {
  const size = statSync(f).size;
  console.log(`${f}: ${(size / 1024).toFixed(1)} KiB`);
  if (size > 2 * 1024 * 1024) {
    console.error(`${f} is larger than 2 MB`);
    process.exitCode = 1;
  }
}
