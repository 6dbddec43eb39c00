import type { ImageMeta } from '../../src/data/larcv3/meta';
import type { ClusterPlane, ImagePlane, Larcv3Spec, ParticleSpec, SparsePlane } from './larcv3Encode';
import { makeRng, type Rng } from './rng';

/**
 * Synthetic LArTPC-like events: a few particles (tracks and showers) from a
 * vertex, deposited as 3D points, projected onto 3 wire planes (U, V, Y at
 * -60°, +60°, 0°) and rasterised. Produces every larcv3 product type:
 * sparse2d (charge + semantic label planes), cluster2d (one cluster per
 * particle per plane), sparse3d, cluster3d, image2d (coarse dense planes) and particle.
 */
export interface DemoLarcv3Options {
  events?: number;
  seed?: number;
  /** 2D plane grid (wires × ticks) */
  grid2d?: number;
  /** 3D grid per axis */
  grid3d?: number;
  /** dense image2d grid */
  gridImage?: number;
}

const DET = 100; // detector cube side (cm)
const PLANE_ANGLES = [-Math.PI / 3, Math.PI / 3, 0];
export const LABELS = { shower: 0, track: 1, michel: 2 } as const;

interface Deposit {
  x: number;
  y: number;
  z: number;
  e: number;
  particle: number;
}

function simulate(rng: Rng, nParticles: number): { particles: ParticleSpec[]; deposits: Deposit[]; kinds: number[] } {
  const vtx = { x: 20 + 60 * rng.next(), y: 20 + 60 * rng.next(), z: 20 + 60 * rng.next(), t: 0 };
  const particles: ParticleSpec[] = [];
  const deposits: Deposit[] = [];
  const kinds: number[] = [];
  for (let p = 0; p < nParticles; p++) {
    const isShower = rng.next() < 0.4;
    const pdg = isShower ? (rng.next() < 0.5 ? 11 : 22) : [13, 211, 2212][rng.int(0, 2)]!;
    let dx = rng.normal(),
      dy = rng.normal(),
      dz = rng.normal();
    const norm = Math.hypot(dx, dy, dz) || 1;
    dx /= norm;
    dy /= norm;
    dz /= norm;
    const energy = isShower ? 50 + 300 * rng.next() : 30 + 500 * rng.next();
    const length = isShower ? 15 + 25 * rng.next() : 10 + 50 * rng.next();
    const steps = Math.round(length * 2);
    let last = { ...vtx };
    for (let s = 0; s < steps; s++) {
      const along = (s / steps) * length;
      const spread = isShower ? 0.15 * along : 0.2;
      const x = vtx.x + dx * along + rng.normal() * spread;
      const y = vtx.y + dy * along + rng.normal() * spread;
      const z = vtx.z + dz * along + rng.normal() * spread;
      if (x < 0 || y < 0 || z < 0 || x >= DET || y >= DET || z >= DET) break;
      const e = (energy / steps) * (0.5 + rng.next());
      deposits.push({ x, y, z, e, particle: p });
      last = { x, y, z, t: s * 0.1 };
    }
    kinds.push(isShower ? LABELS.shower : LABELS.track);
    // a Michel electron at the end of some muons
    if (pdg === 13 && rng.next() < 0.5) {
      for (let s = 0; s < 8; s++)
        deposits.push({ x: last.x + s * 0.5 * dy, y: last.y - s * 0.5 * dx, z: last.z, e: 2 * rng.next(), particle: -1 - p });
    }
    const mom = Math.sqrt(Math.max(energy * energy - 100, 1));
    particles.push({
      id: p,
      pdg,
      trackid: p + 1,
      parentTrackid: 0,
      px: mom * dx,
      py: mom * dy,
      pz: mom * dz,
      energyInit: energy,
      energyDeposit: deposits.filter((d) => d.particle === p).reduce((a, d) => a + d.e, 0),
      distTravel: length,
      shape: isShower ? 0 : 1,
      process: 'primary',
      vtx,
      endPt: last,
    });
  }
  return { particles, deposits, kinds };
}

function planeMeta(p: number, n: number): ImageMeta {
  return { valid: true, projectionId: p, imageSizes: [DET * 1.5, DET], numberOfVoxels: [n, n], origin: [-DET * 0.5, 0] };
}

/** 2D coordinates (wire, time) of a deposit in plane p. */
function project(d: Deposit, p: number): [number, number] {
  const a = PLANE_ANGLES[p]!;
  return [d.z * Math.cos(a) + d.y * Math.sin(a), d.x];
}

function rasterise(
  deposits: Deposit[],
  meta: ImageMeta,
  coords: (d: Deposit) => number[],
): Map<number, { value: number; owner: number; ownerE: number; perOwner: Map<number, number> }> {
  const grid = new Map<number, { value: number; owner: number; ownerE: number; perOwner: Map<number, number> }>();
  for (const d of deposits) {
    const c = coords(d);
    let id = 0;
    let inside = true;
    for (let a = 0; a < c.length; a++) {
      const i = Math.floor(((c[a]! - meta.origin[a]!) / meta.imageSizes[a]!) * meta.numberOfVoxels[a]!);
      if (i < 0 || i >= meta.numberOfVoxels[a]!) inside = false;
      id = id * meta.numberOfVoxels[a]! + i;
    }
    if (!inside) continue;
    const cell = grid.get(id) ?? { value: 0, owner: d.particle, ownerE: 0, perOwner: new Map() };
    cell.value += d.e;
    const pe = (cell.perOwner.get(d.particle) ?? 0) + d.e;
    cell.perOwner.set(d.particle, pe);
    if (pe > cell.ownerE) {
      cell.ownerE = pe;
      cell.owner = d.particle;
    }
    grid.set(id, cell);
  }
  return grid;
}

export function demoLarcv3Spec(opts: DemoLarcv3Options = {}): Larcv3Spec {
  const nEv = opts.events ?? 16;
  const n2 = opts.grid2d ?? 256;
  const n3 = opts.grid3d ?? 64;
  const ni = opts.gridImage ?? 32;
  const rng = makeRng(opts.seed ?? 12345);
  const events = Array.from({ length: nEv }, (_, i) => ({ run: 1, subrun: 1 + Math.floor(i / 100), event: i }));
  const data: SparsePlane[][] = [];
  const label: SparsePlane[][] = [];
  const clusters: ClusterPlane[][] = [];
  const data3d: SparsePlane[][] = [];
  const clusters3d: ClusterPlane[][] = [];
  const images: ImagePlane[][] = [];
  const particles: ParticleSpec[][] = [];
  for (let e = 0; e < nEv; e++) {
    const sim = simulate(rng, rng.int(2, 4));
    particles.push(sim.particles);
    const labelOf = (owner: number) => (owner < 0 ? LABELS.michel : sim.kinds[owner]!);
    const evData: SparsePlane[] = [];
    const evLabel: SparsePlane[] = [];
    const evClusters: ClusterPlane[] = [];
    const evImages: ImagePlane[] = [];
    for (let p = 0; p < 3; p++) {
      const meta = planeMeta(p, n2);
      const grid = rasterise(sim.deposits, meta, (d) => project(d, p));
      const ids = [...grid.keys()].sort((a, b) => a - b);
      evData.push({ meta, ids, values: ids.map((id) => grid.get(id)!.value) });
      evLabel.push({ meta, ids, values: ids.map((id) => labelOf(grid.get(id)!.owner)) });
      evClusters.push({
        meta,
        clusters: sim.particles.map((_, k) => {
          const cids = ids.filter((id) => grid.get(id)!.perOwner.has(k));
          return { id: k, ids: cids, values: cids.map((id) => grid.get(id)!.perOwner.get(k)!) };
        }),
      });
      const imeta: ImageMeta = { ...planeMeta(p, ni) };
      const coarse = rasterise(sim.deposits, imeta, (d) => project(d, p));
      const dense = new Float32Array(ni * ni);
      for (const [id, c] of coarse) dense[id] = c.value;
      evImages.push({ meta: imeta, values: dense });
    }
    data.push(evData);
    label.push(evLabel);
    clusters.push(evClusters);
    images.push(evImages);
    const meta3: ImageMeta = { valid: true, projectionId: 0, imageSizes: [DET, DET, DET], numberOfVoxels: [n3, n3, n3], origin: [0, 0, 0] };
    const g3 = rasterise(sim.deposits, meta3, (d) => [d.x, d.y, d.z]);
    const ids3 = [...g3.keys()].sort((a, b) => a - b);
    data3d.push([{ meta: meta3, ids: ids3, values: ids3.map((id) => g3.get(id)!.value) }]);
    clusters3d.push([
      {
        meta: meta3,
        clusters: sim.particles.map((_, k) => {
          const cids = ids3.filter((id) => g3.get(id)!.perOwner.has(k));
          return { id: k, ids: cids, values: cids.map((id) => g3.get(id)!.perOwner.get(k)!) };
        }),
      },
    ]);
  }
  return {
    events,
    products: [
      { type: 'sparse2d', producer: 'data', entries: data },
      { type: 'sparse2d', producer: 'label', entries: label },
      { type: 'cluster2d', producer: 'particle', entries: clusters },
      { type: 'sparse3d', producer: 'data', entries: data3d },
      { type: 'cluster3d', producer: 'particle', entries: clusters3d },
      { type: 'image2d', producer: 'coarse', entries: images },
      { type: 'particle', producer: 'mctruth', entries: particles },
    ],
  };
}
