/**
 * Typed errors for data files. Every problem found while opening or reading a
 * file becomes a DataFileError that names the file, the dataset (when one is
 * concerned) and what was expected, so the UI can show it and carry on.
 */
export type DataErrorCode =
  | 'not-hdf5' // no HDF5 signature
  | 'truncated' // the file is shorter than its superblock says
  | 'open-failed' // HDF5 refused to open it for another reason
  | 'unknown-kind' // valid HDF5, but not larcv3, SPANet nor a usable generic file
  | 'missing-dataset'
  | 'bad-shape'
  | 'bad-dtype'
  | 'out-of-range' // an index (extent, voxel id, entry) points outside its target
  | 'nan' // NaN or infinity in data
  | 'overflow' // finite, but too large for float32 arithmetic (see values.ts)
  | 'read-failed'
  | 'bad-request'; // a caller asked for something the file does not hold

export interface DataFileErrorJSON {
  name: 'DataFileError';
  code: DataErrorCode;
  file: string;
  dataset: string | null;
  expected: string | null;
  problem: string;
}

export class DataFileError extends Error {
  override readonly name = 'DataFileError';
  readonly code: DataErrorCode;
  readonly file: string;
  readonly dataset: string | null;
  readonly expected: string | null;
  readonly problem: string;

  constructor(args: { code: DataErrorCode; file: string; dataset?: string | null; expected?: string | null; problem: string }) {
    const where = args.dataset ? `${args.file}: ${args.dataset}` : args.file;
    const exp = args.expected ? ` (expected ${args.expected})` : '';
    super(`${where}: ${args.problem}${exp}`);
    this.code = args.code;
    this.file = args.file;
    this.dataset = args.dataset ?? null;
    this.expected = args.expected ?? null;
    this.problem = args.problem;
  }

  toJSON(): DataFileErrorJSON {
    return {
      name: 'DataFileError',
      code: this.code,
      file: this.file,
      dataset: this.dataset,
      expected: this.expected,
      problem: this.problem,
    };
  }

  static fromJSON(j: DataFileErrorJSON): DataFileError {
    return new DataFileError(j);
  }
}

export function isDataFileErrorJSON(x: unknown): x is DataFileErrorJSON {
  return typeof x === 'object' && x !== null && (x as { name?: unknown }).name === 'DataFileError';
}

/** Wraps any thrown value into a DataFileError for `file` (keeps DataFileErrors as they are). */
export function asDataFileError(e: unknown, file: string, dataset: string | null = null): DataFileError {
  if (e instanceof DataFileError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return new DataFileError({ code: 'read-failed', file, dataset, problem: summarizeHdf5Message(msg) });
}

/**
 * HDF5 error stacks are long ("HDF5-DIAG: Error detected ... #000 ... #006 ...").
 * Keep the innermost frame's description and its minor message, which say what went wrong.
 */
export function summarizeHdf5Message(msg: string): string {
  if (!msg.includes('HDF5-DIAG')) return msg.trim();
  const frames = [...msg.matchAll(/#\d+: .*? in ([A-Za-z0-9_]+)\(\): (.*)\n\s*major: (.*)\n\s*minor: (.*)/g)];
  if (frames.length === 0) return msg.split('\n')[0]!.trim();
  const last = frames[frames.length - 1]!;
  return `HDF5: ${last[2]!.trim()} (${last[4]!.trim()})`;
}
