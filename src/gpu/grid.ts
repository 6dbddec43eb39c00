import { WORKGROUPS_PER_DIM } from './context';

/** Workgroup counts for n threads in groups of `size`, folding x overflow into y. */
export function grid1d(n: number, size = 256): [number, number] {
  const groups = Math.ceil(n / size);
  if (groups <= WORKGROUPS_PER_DIM) return [groups, 1];
  const y = Math.ceil(groups / WORKGROUPS_PER_DIM);
  const x = Math.ceil(groups / y);
  // Kernels index as gid.x + gid.y * nx * size, so x * y * size must cover n.
  return [x, y];
}
