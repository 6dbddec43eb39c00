import type { DatasetInfo } from './types';

/**
 * HDF5 filters the h5wasm build decodes: deflate (gzip), shuffle, fletcher32, nbit and
 * scaleoffset are part of libhdf5 itself. Anything else (lzf, blosc, zstd, …) would need a
 * plugin, and h5wasm has no plugin directory.
 */
const BUILT_IN = new Set([1, 2, 3, 5, 6]);

/** Registered third-party filters, named even when the file's HDF5 records no name. */
const KNOWN: Record<number, string> = {
  4: 'szip',
  307: 'bzip2',
  32000: 'lzf',
  32001: 'blosc',
  32004: 'lz4',
  32008: 'bitshuffle',
  32013: 'zfp',
  32015: 'zstd',
  32026: 'blosc2',
};

/** The first filter of `info` that h5wasm cannot decode, or null. */
export function unreadableFilter(info: DatasetInfo): { id: number; name: string } | null {
  const ids = info.filterIds ?? [];
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (!BUILT_IN.has(id)) return { id, name: KNOWN[id] ?? (info.filters[i] || 'an unknown filter') };
  }
  return null;
}

/** What to tell the user about a dataset compressed with such a filter. */
export function unreadableFilterProblem(info: DatasetInfo, file: string, f: { id: number; name: string }): string {
  const stem = file.replace(/\.(h5|hdf5|hdf)$/i, '');
  return (
    `dataset ${info.path} is compressed with ${f.name} (filter id ${f.id}), which the browser HDF5 library cannot read; ` +
    `re-save it with gzip: h5repack -f GZIP=4 ${file} ${stem}_gzip.h5`
  );
}
