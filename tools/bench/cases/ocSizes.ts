/** Size arithmetic of the dense OC implementations (pure: unit-tested on the CPU). */

/**
 * Host memory the bench lets one dense OC implementation take. On SwiftShader GPU buffers
 * are host memory, and this machine (23 GiB) is shared; on a real GPU the device limits decide.
 */
export const OC_HOST_BUDGET_BYTES = 4 * 2 ** 30;

/** Bytes of `count` live N×K f32 matrices. */
export function denseHostBytes(n: number, k: number, count: number): number {
  return count * n * k * 4;
}

/**
 * Why one N×K f32 matrix cannot exist on a device, or null if it can: WebGPU refuses a buffer
 * over maxBufferSize and a binding over maxStorageBufferBindingSize, so a dense kernel that
 * binds the whole matrix is out of memory beyond the smaller of the two, whatever the GPU holds.
 */
export function bufferLimitReason(
  n: number,
  k: number,
  limits: { maxBufferSize: number; maxStorageBufferBindingSize: number },
): string | null {
  const bytes = n * k * 4;
  const limit = Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize);
  if (bytes <= limit) return null;
  const which = limits.maxBufferSize <= limits.maxStorageBufferBindingSize ? 'maxBufferSize' : 'maxStorageBufferBindingSize';
  return `out of memory: one N×K f32 matrix is ${(bytes / 2 ** 20).toFixed(0)} MiB > ${which} ${(limit / 2 ** 20).toFixed(0)} MiB`;
}
