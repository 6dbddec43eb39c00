// The lines of the page's error list, from the worker's GPU error records. Plain code beside
// the protocol, so the page (which imports nothing from src/gpu) and src/gpu/errorLog.ts share it.
import type { FromWorker } from './protocol';

type GpuErrorRecord = Extract<FromWorker, { type: 'gpuErrors' }>['errors'][number];

/** One line for the page's error list. */
export function formatGpuError(r: GpuErrorRecord): string {
  const where = r.kernel ? ` in kernel ${r.kernel}` : '';
  const times = r.count > 1 ? ` (×${r.count})` : '';
  return `GPU error${where}${times}: ${r.message}`;
}

/**
 * The page's error lines after `incoming` (already formatted) arrive with `dropped` more
 * that the worker's log could not keep: the last `limit` lines, with a line saying how many
 * were dropped, so that a kernel failing every step cannot grow the list without bound.
 */
export function appendErrorLines(lines: string[], incoming: string[], dropped: number, limit = 50): string[] {
  const note = dropped > 0 ? [`${dropped} more GPU errors were dropped (only the last ${limit} are kept)`] : [];
  return [...lines, ...note, ...incoming].slice(-limit);
}
