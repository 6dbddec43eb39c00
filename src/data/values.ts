/**
 * Which data values training can use. A finite float32 like 3e38 still breaks training: its
 * square, a sum of a few, or one Adam moment overflows to Inf and then NaN. Values up to 1e15
 * keep squares (1e30) summed over 10⁸ terms finite in float32, far beyond any physical
 * quantity in these files, so larger magnitudes are rejected at load like NaN.
 */
export const SAFE_ABS_MAX = 1e15;

export const SAFE_VALUES = `finite values with |v| ≤ ${SAFE_ABS_MAX.toExponential(0)} (larger ones overflow float32 arithmetic)`;

/** 'nan' for NaN/±Inf, 'overflow' for finite values too large to train on, null when fine. */
export function unsafeValue(v: number): 'nan' | 'overflow' | null {
  if (!Number.isFinite(v)) return 'nan';
  return Math.abs(v) > SAFE_ABS_MAX ? 'overflow' : null;
}
