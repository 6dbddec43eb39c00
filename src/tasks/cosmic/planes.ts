import { DataFileError } from '../../data/errors';

/**
 * The data the cosmic-tagging task accepts (TaskData with kind 'planes'): dense per-plane
 * images and labels of E events,
 *   images  Float32Array [E, P, H, W]   (charge; pixels without a voxel are 0)
 *   labels  Uint8Array | Int32Array [E, P, H, W]   (0 background, 1 cosmic, 2 neutrino)
 * plus `events`, `planes`, `height`, `width`. densifyPlanes builds it from larcv3 sparse2d
 * voxels; downsamplePlanes shrinks it by 2^k as CosmicTagger does.
 */
export interface PlaneData {
  kind: 'planes';
  events: number;
  planes: number;
  height: number;
  width: number;
  images: Float32Array;
  labels: Uint8Array | Int32Array;
  /** what the conversion from a file noticed (e.g. planes without labels), for the description */
  notes?: string[];
}

/**
 * Dense planes are one float32 image and one uint8 label per pixel, per plane and event. 2 GiB
 * is the largest ArrayBuffer every browser allocates and the engine's largest GPU buffer
 * (src/gpu/limits.ts).
 */
export const MAX_DENSE_PLANE_BYTES = 2 ** 31;
export const DENSE_BYTES_PER_PIXEL = 5;

export function densePlaneBytes(events: number, planes: number, height: number, width: number): number {
  return events * planes * height * width * DENSE_BYTES_PER_PIXEL;
}

/** Bytes as "128 GiB (137438953472 bytes)". */
export function bytesText(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let u = 0;
  let v = n;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} bytes` : `${Number(v.toPrecision(3))} ${units[u]} (${n} bytes)`;
}

/** Where densified voxels came from, so that errors name the file, dataset, entry and projection. */
export interface DensifyContext {
  file: string;
  imageDataset: string;
  labelDataset: string;
  /** the file's entry number of event e */
  entry(e: number): number;
  /** the projection id of plane p */
  projection(p: number): number;
}

export const CLASS_NAMES = ['background', 'cosmic', 'neutrino'] as const;

export function isPlaneData(d: unknown): d is PlaneData {
  const p = d as PlaneData | null;
  return (
    !!p &&
    p.kind === 'planes' &&
    p.images instanceof Float32Array &&
    (p.labels instanceof Uint8Array || p.labels instanceof Int32Array) &&
    p.images.length === p.events * p.planes * p.height * p.width &&
    p.labels.length === p.images.length
  );
}

/** One plane of one entry's sparse voxels: flat ids into an nvox[0] × nvox[1] grid. */
export interface SparsePlaneVoxels {
  /** voxel ids; id = c0 · nvox[1] + c1 (larcv3's row-major index) */
  ids: ArrayLike<number>;
  values: ArrayLike<number>;
}

/**
 * The pixel (time · width + wire) of the [height, width] = [nvox[1], nvox[0]] plane that voxel
 * `id` fills (see densifyPlanes), or -1 when the id is outside the grid.
 */
export function voxelPixel(id: number, height: number, width: number): number {
  if (!(id >= 0 && id < height * width)) return -1;
  const wire = Math.floor(id / height);
  const time = id % height;
  return time * width + wire;
}

/** Labels a plane may hold: 0 background, 1 cosmic, 2 neutrino. */
export const isPlaneLabel = (v: number): boolean => v === 0 || v === 1 || v === 2;
export const PLANE_LABELS_TEXT = '0, 1 or 2 (background, cosmic, neutrino)';

/**
 * Dense [E, P, H, W] arrays from sparse voxels, filled as CosmicTagger fills them: larcv3's
 * batch filler gives each voxel coordinates (c0, c1) = (id // nvox[1], id % nvox[1]) and
 * CosmicTagger's larcvsparse_to_dense_2d writes dense[plane, c1, c0], so H = nvox[1] (time,
 * 1280 at full resolution) and W = nvox[0] (wire, 2048): [B, 3, 1280, 2048]. Missing
 * pixels are 0. `image[e][p]` and `label[e][p]` are entry e, plane p; a label voxel with no
 * image voxel still sets the label.
 */
export function densifyPlanes(
  image: SparsePlaneVoxels[][],
  label: SparsePlaneVoxels[][],
  nvox: [number, number],
  where?: DensifyContext,
): PlaneData {
  const events = image.length;
  const planes = image[0]?.length ?? 0;
  const [width, height] = nvox; // (wire, time) voxels → [time, wire] images
  const hw = height * width;
  const fail = (dataset: 'image' | 'label', problem: string, expected: string): Error =>
    where
      ? new DataFileError({
          code: 'out-of-range',
          file: where.file,
          dataset: dataset === 'image' ? where.imageDataset : where.labelDataset,
          problem,
          expected,
        })
      : new Error(`${problem} (expected ${expected})`);
  const entryText = (e: number, p: number) =>
    where ? `entry ${where.entry(e)}, projection ${where.projection(p)}` : `entry ${e}, plane ${p}`;
  const bytes = densePlaneBytes(events, planes, height, width);
  if (bytes > MAX_DENSE_PLANE_BYTES) {
    const problem = `${events} events × ${planes} planes of a ${height}×${width} grid need ${bytesText(bytes)} as dense float32 images + uint8 labels`;
    const expected = `at most ${bytesText(MAX_DENSE_PLANE_BYTES)}: a smaller grid or fewer events`;
    throw where
      ? new DataFileError({ code: 'bad-shape', file: where.file, dataset: where.imageDataset, problem, expected })
      : new Error(`${problem} (expected ${expected})`);
  }
  const images = new Float32Array(events * planes * hw);
  const labels = new Uint8Array(events * planes * hw);
  const fill = (v: SparsePlaneVoxels, e: number, p: number, what: 'image' | 'label', put: (i: number, val: number) => void) => {
    for (let k = 0; k < v.ids.length; k++) {
      const id = v.ids[k];
      const pixel = voxelPixel(id, height, width);
      if (pixel < 0)
        throw fail(what, `${what} voxel id ${id} of ${entryText(e, p)} is outside the ${height}×${width} grid`, `ids below ${hw}`);
      put((e * planes + p) * hw + pixel, v.values[k]);
    }
  };
  for (let e = 0; e < events; e++) {
    if (image[e].length !== planes || label[e].length !== planes)
      throw new Error(`entry ${e} has ${image[e].length} image and ${label[e].length} label planes, expected ${planes}`);
    for (let p = 0; p < planes; p++) {
      fill(image[e][p], e, p, 'image', (i, v) => (images[i] = v));
      fill(label[e][p], e, p, 'label', (i, v) => {
        if (!isPlaneLabel(v)) throw fail('label', `label ${v} in ${entryText(e, p)}`, PLANE_LABELS_TEXT);
        labels[i] = v;
      });
    }
  }
  return { kind: 'planes', events, planes, height, width, images, labels };
}

/**
 * Downsampling by 2^k as in CosmicTagger: images by average pooling (empty pixels count as
 * 0), labels by max pooling (neutrino beats cosmic beats background). Sides must divide.
 */
export function downsamplePlanes(d: PlaneData, k: number): PlaneData {
  if (k === 0) return d;
  const f = 2 ** k;
  if (d.height % f || d.width % f) throw new Error(`cannot downsample ${d.height}×${d.width} by ${f}`);
  const H = d.height / f;
  const W = d.width / f;
  const n = d.events * d.planes;
  const images = new Float32Array(n * H * W);
  const labels = new Uint8Array(n * H * W);
  for (let i = 0; i < n; i++) {
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        let s = 0;
        let m = 0;
        for (let a = 0; a < f; a++) {
          for (let b = 0; b < f; b++) {
            const src = (i * d.height + y * f + a) * d.width + x * f + b;
            s += d.images[src];
            m = Math.max(m, d.labels[src]);
          }
        }
        images[(i * H + y) * W + x] = s / (f * f);
        labels[(i * H + y) * W + x] = m;
      }
    }
  }
  return { ...d, height: H, width: W, images, labels };
}

/** Events [start, end) of a PlaneData, sharing no memory with it. */
export function sliceEvents(d: PlaneData, start: number, end: number): PlaneData {
  const per = d.planes * d.height * d.width;
  return { ...d, events: end - start, images: d.images.slice(start * per, end * per), labels: d.labels.slice(start * per, end * per) };
}
