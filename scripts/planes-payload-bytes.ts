/**
 * Bytes a streamed cosmic batch moves per full-resolution event (the sparse PlanesPayload of
 * Larcv3PlanesReader) against the dense planes the whole-file path builds (f32 image + u8
 * label per pixel) and the dense GPU batch (f32 image + i32 label), on the demo file and on a
 * generated CosmicTagger-sized file (3 planes of 1280 × 2048, ~1 % of pixels lit).
 *   npx tsx scripts/planes-payload-bytes.ts [--events 4] [--occupancy 0.01]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openNodeH5 } from '../src/data/h5/node';
import { Larcv3PlanesReader } from '../src/data/stream/planesReader';
import { payloadBytes } from '../src/data/stream/runs';
import { DENSE_BYTES_PER_PIXEL } from '../src/tasks/cosmic/planes';
import { denseToLarcv3 } from '../tools/writers/denseToLarcv3';
import { writeLarcv3File } from '../tools/writers/nodeWriters';
import { makeRng } from '../tools/writers/rng';

const args = process.argv.slice(2);
const opt = (k: string, d: number) => {
  const i = args.indexOf(`--${k}`);
  return i >= 0 ? Number(args[i + 1]) : d;
};
const EVENTS = opt('events', 4);
const OCCUPANCY = opt('occupancy', 0.01);

async function measure(path: string, image: string, label: string): Promise<string> {
  const src = await openNodeH5(path);
  try {
    const r = new Larcv3PlanesReader(src, image, label);
    // the first read pays the JIT and the HDF5 chunk cache: best of 5 reads of every entry
    const all = Uint32Array.from({ length: r.entries }, (_, e) => e);
    let p = r.read(all);
    let ms = Infinity;
    for (let rep = 0; rep < 5; rep++) {
      const t0 = performance.now();
      p = r.read(all);
      ms = Math.min(ms, (performance.now() - t0) / r.entries);
    }
    const pixels = p.planes * p.height * p.width;
    const bytes = payloadBytes(p) / p.events;
    const voxels = (p.imageIndex.length + p.labelIndex.length) / p.events;
    const mb = (b: number) => (b / 1e6).toFixed(2);
    return `| ${path.split('/').pop()} | ${p.planes}×${p.height}×${p.width} | ${Math.round(voxels)} | ${mb(bytes)} | ${mb(pixels * DENSE_BYTES_PER_PIXEL)} | ${mb(pixels * 8)} | ${((pixels * DENSE_BYTES_PER_PIXEL) / bytes).toFixed(1)} | ${ms.toFixed(1)} |`;
  } finally {
    src.close();
  }
}

/** CosmicTagger-sized planes: lit pixels at random, 80 % of them labelled (1 in 10 neutrino). */
function cosmicSized(events: number, occupancy: number) {
  const [P, H, W] = [3, 1280, 2048];
  const rng = makeRng(7);
  const images = new Float32Array(events * P * H * W);
  const labels = new Uint8Array(images.length);
  for (let i = 0; i < images.length; i++) {
    if (rng.next() >= occupancy) continue;
    images[i] = Math.fround(0.5 + 50 * rng.next());
    if (rng.next() < 0.8) labels[i] = rng.next() < 0.1 ? 2 : 1;
  }
  return { events, planes: P, height: H, width: W, images, labels };
}

const dir = mkdtempSync(join(tmpdir(), 'planes-bytes-'));
try {
  const rows = [await measure('public/demo/cosmic_demo.h5', 'sbndwire', 'sbnd_cosmicseg')];
  const big = join(dir, `cosmictagger_${EVENTS}ev.h5`);
  await writeLarcv3File(big, denseToLarcv3(cosmicSized(EVENTS, OCCUPANCY), 'sbndwire', 'sbnd_cosmicseg'));
  rows.push(await measure(big, 'sbndwire', 'sbnd_cosmicseg'));
  process.stdout.write(
    [
      '| file | planes | voxels / event (image + label) | payload MB / event | dense host MB / event (f32 + u8) | dense GPU MB / event (f32 + i32) | dense host / payload | read ms / event (best of 5) |',
      '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...rows,
      '',
    ].join('\n'),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
