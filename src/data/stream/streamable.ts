/** Which training options stream (import-free, so the page can ask without loading the readers). */
import type { FileRequest } from '../../tasks/fromFile/options';

/** The option kinds that stream (the others still load whole; see the README). */
export const STREAMABLE: FileRequest['kind'][] = [
  'generic-sets',
  'generic-hits',
  'larcv3-clusters',
  'larcv3-segmentation',
  'spanet-events',
];

export function streamable(r: FileRequest): boolean {
  return STREAMABLE.includes(r.kind);
}
