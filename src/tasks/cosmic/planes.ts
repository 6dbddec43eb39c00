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
}

export const CLASS_NAMES = ['background', 'cosmic', 'neutrino'] as const;

export function isPlaneData(d: unknown): d is PlaneData {
  const p = d as PlaneData | null;
  return !!p && p.kind === 'planes' && p.images instanceof Float32Array &&
    (p.labels instanceof Uint8Array || p.labels instanceof Int32Array) &&
    p.images.length === p.events * p.planes * p.height * p.width && p.labels.length === p.images.length;
}

/** One plane of one entry's sparse voxels: flat ids into an nvox[0] × nvox[1] grid. */
export interface SparsePlaneVoxels {
  /** voxel ids; id = x · nvox[1] + y */
  ids: ArrayLike<number>;
  values: ArrayLike<number>;
}

/**
 * Dense [E, P, H, W] arrays from sparse voxels: x = id // nvox[1] is the row, y = id % nvox[1]
 * the column (so H = nvox[0], W = nvox[1]), missing pixels are 0. `image[e][p]` and
 * `label[e][p]` are entry e, plane p; a label voxel with no image voxel still sets the label.
 */
export function densifyPlanes(image: SparsePlaneVoxels[][], label: SparsePlaneVoxels[][], nvox: [number, number]): PlaneData {
  const events = image.length;
  const planes = image[0]?.length ?? 0;
  const [height, width] = nvox;
  const hw = height * width;
  const images = new Float32Array(events * planes * hw);
  const labels = new Uint8Array(events * planes * hw);
  const fill = (v: SparsePlaneVoxels, e: number, p: number, what: string, put: (i: number, val: number) => void) => {
    for (let k = 0; k < v.ids.length; k++) {
      const id = v.ids[k];
      if (!(id >= 0 && id < hw)) throw new Error(`${what} voxel id ${id} of entry ${e}, plane ${p} is outside the ${height}×${width} grid`);
      const x = Math.floor(id / width);
      const y = id % width;
      put((e * planes + p) * hw + x * width + y, v.values[k]);
    }
  };
  for (let e = 0; e < events; e++) {
    if (image[e].length !== planes || label[e].length !== planes) throw new Error(`entry ${e} has ${image[e].length} image and ${label[e].length} label planes, expected ${planes}`);
    for (let p = 0; p < planes; p++) {
      fill(image[e][p], e, p, 'image', (i, v) => (images[i] = v));
      fill(label[e][p], e, p, 'label', (i, v) => {
        if (!(v === 0 || v === 1 || v === 2)) throw new Error(`label ${v} in entry ${e}, plane ${p}: expected 0, 1 or 2`);
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
