/**
 * Dense, pooled cosmic planes on the GPU from a sparse PlanesPayload (what the data worker
 * streams): images [B, P, H/2^k, W/2^k] f32 averaged over 2^k × 2^k windows (empty pixels
 * count 0) and labels [B·P, H/2^k, W/2^k] i32 maxed, equal to densifying on the host and
 * downsamplePlanes (src/tasks/cosmic/planes.ts). Inputs only: no backward, nothing is taped.
 *
 * Labels are max-scattered straight into the pooled planes. Images are scattered into a zeroed
 * full-resolution block and averaged from there, a chunk of pairs at a time: the block is
 * chunkPlanes · H · W · 4 bytes (at most `chunkBytes`, default 256 MiB, or one plane:
 * 10.5 MB for a 1280 × 2048 CosmicTagger plane, so 25 planes a chunk), allocated once per call
 * and freed before it returns. With k = 0 images are scattered straight into the output.
 */
import { SHADERS } from '../../gpu/shaders';
import { grid1d } from '../../gpu/grid';
import { ENGINE_LIMIT_CAPS } from '../../gpu/limits';
import type { Uniform } from '../../gpu/context';
import type { PlanesPayload } from '../../data/stream/planesPayload';
import { checkPayload } from '../../tasks/cosmic/payloadPlanes';
import type { Engine } from '../engine';
import { launchFill } from '../kernels';
import type { Tensor } from '../tensor';

export interface DensePlanes {
  /** [B, P, H / 2^k, W / 2^k] */
  images: Tensor<'f32'>;
  /** [B·P, H / 2^k, W / 2^k]: 0 background, 1 cosmic, 2 neutrino */
  labels: Tensor<'i32'>;
}

export const DENSIFY_CHUNK_BYTES = 256 * 2 ** 20;

export function densifyPlanes(engine: Engine, payload: PlanesPayload, k: number, opts: { chunkBytes?: number } = {}): DensePlanes {
  const { events: B, planes: P, height: H, width: W } = payload;
  const f = 2 ** k;
  if (!Number.isInteger(k) || k < 0) throw new Error(`densifyPlanes: downsampling exponent ${k} must be a whole number ≥ 0`);
  if (H % f || W % f) throw new Error(`cannot downsample ${H}×${W} by ${f}`);
  checkPayload(payload);
  const n = B * P;
  const Ho = H / f;
  const Wo = W / f;
  const limit = ENGINE_LIMIT_CAPS.maxBufferSize;
  if (n * Ho * Wo * 4 > limit)
    throw new Error(`densifyPlanes: ${B} events × ${P} planes of ${Ho}×${Wo} need ${n * Ho * Wo * 4} bytes per output, over ${limit}`);
  const g = engine.gpu;
  const images = engine.empty([B, P, Ho, Wo]);
  const labels = engine.empty([n, Ho, Wo], 'i32');
  if (n === 0) return { images, labels };
  const up = {
    imageOffsets: engine.fromArray(payload.imageOffsets, [n + 1], { dtype: 'u32' }),
    imageIndex: engine.fromArray(payload.imageIndex, [payload.imageIndex.length], { dtype: 'u32' }),
    imageValue: engine.fromArray(payload.imageValue, [payload.imageValue.length]),
    labelOffsets: engine.fromArray(payload.labelOffsets, [n + 1], { dtype: 'u32' }),
    labelIndex: engine.fromArray(payload.labelIndex, [payload.labelIndex.length], { dtype: 'u32' }),
    labelValue: engine.fromArray(payload.labelValue, [payload.labelValue.length], { dtype: 'i32' }),
  };
  const params = (plane0: number, planes: number, voxel0: number, voxels: number, dstPlane0: number): Uniform[] => [
    ['u32', H],
    ['u32', W],
    ['u32', f],
    ['u32', plane0],
    ['u32', planes],
    ['u32', voxel0],
    ['u32', voxels],
    ['u32', dstPlane0],
  ];
  const scatterImages = (dst: Tensor, plane0: number, planes: number, dstPlane0: number) => {
    const v0 = payload.imageOffsets[plane0]!;
    const nv = payload.imageOffsets[plane0 + planes]! - v0;
    g.dispatch(
      SHADERS.densifyPlanes,
      'scatter_image',
      [up.imageOffsets.buffer, up.imageIndex.buffer, up.imageValue.buffer, dst.buffer],
      grid1d(nv),
      params(plane0, planes, v0, nv, dstPlane0),
    );
  };

  launchFill(g, labels.buffer, labels.size, 0); // i32 0 has the bits of f32 0
  const nl = payload.labelIndex.length;
  g.dispatch(
    SHADERS.densifyPlanes,
    'scatter_label',
    [up.labelOffsets.buffer, up.labelIndex.buffer, up.labelValue.buffer, labels.buffer],
    grid1d(nl),
    params(0, n, 0, nl, 0),
  );

  if (k === 0) {
    launchFill(g, images.buffer, images.size, 0);
    scatterImages(images, 0, n, 0);
  } else {
    const chunk = Math.max(1, Math.min(n, Math.floor((opts.chunkBytes ?? DENSIFY_CHUNK_BYTES) / (H * W * 4))));
    if (chunk * H * W * 4 > limit) throw new Error(`densifyPlanes: one ${H}×${W} plane needs ${H * W * 4} bytes, over ${limit}`);
    const full = engine.empty([chunk, H, W]);
    for (let p0 = 0; p0 < n; p0 += chunk) {
      const pc = Math.min(chunk, n - p0);
      launchFill(g, full.buffer, pc * H * W, 0);
      scatterImages(full, p0, pc, p0);
      g.dispatch(SHADERS.densifyPlanes, 'pool_image', [full.buffer, images.buffer], grid1d(pc * Ho * Wo), params(p0, pc, 0, 0, p0));
    }
    full.dispose();
  }
  for (const t of Object.values(up)) t.dispose();
  return { images, labels: labels as Tensor<'i32'> };
}
