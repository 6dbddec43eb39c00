/**
 * A batch of cosmic-tagging events as it travels from the data worker to the training worker:
 * still sparse. Each (event, plane) pair p = event · planes + plane owns the voxels
 * [offsets[p], offsets[p + 1]) of its image list and of its label list. `index` is the pixel's
 * place in the full-resolution [height, width] plane as CosmicTagger fills it (time · width +
 * wire; see src/tasks/cosmic/planes.ts densifyPlanes), so the GPU densifies by a plain scatter
 * and then pools by 2^k (average for images, max for labels).
 */
export interface PlanesPayload {
  kind: 'planes-sparse';
  /** file entry of each event, payload order */
  entries: Uint32Array;
  events: number;
  planes: number;
  /** full-resolution plane size (time rows × wire columns) */
  height: number;
  width: number;
  imageOffsets: Uint32Array;
  imageIndex: Uint32Array;
  imageValue: Float32Array;
  labelOffsets: Uint32Array;
  labelIndex: Uint32Array;
  /** 1 cosmic, 2 neutrino (background pixels are not listed) */
  labelValue: Int32Array;
}

export function isPlanesPayload(p: unknown): p is PlanesPayload {
  return !!p && (p as { kind?: unknown }).kind === 'planes-sparse';
}
