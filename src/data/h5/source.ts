import type { AttrValue, DatasetInfo, NumericArray } from './types';

/**
 * An opened HDF5 file, independent of where it came from (Node path, bytes,
 * WORKERFS-mounted browser File). All reads are synchronous (they run inside
 * the worker or in Node), and throw DataFileError on failure.
 */
export interface H5Source {
  /** Name shown to the user and used in error messages. */
  readonly fileName: string;
  exists(path: string): boolean;
  isGroup(path: string): boolean;
  isDataset(path: string): boolean;
  /** Child names of a group, sorted as HDF5 lists them. */
  keys(path: string): string[];
  attrs(path: string): Record<string, AttrValue>;
  /** Dataset metadata; throws DataFileError('missing-dataset') when absent. */
  info(path: string): DatasetInfo;
  /**
   * Raw bytes of rows [start, start+count) along the first axis (all other axes
   * whole), in the file's element layout (compound member offsets as in the file).
   */
  readRows(path: string, start: number, count: number): Uint8Array;
  /** Numeric dataset rows [start, start+count) (default: all), flattened row-major. */
  readNumeric(path: string, start?: number, count?: number): NumericArray;
  /** String dataset rows (fixed or variable length). */
  readStrings(path: string, start?: number, count?: number): string[];
  close(): void;
}
