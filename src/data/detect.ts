import { DataFileError } from './errors';
import type { H5Source } from './h5/source';
import { buildTree } from './h5/tree';
import type { TreeNode } from './h5/types';
import { genericLayout, type GenericLayout } from './generic/reader';
import { Larcv3Reader, type Larcv3Product } from './larcv3/reader';
import { looksLikeSpanet, spanetLayout, type SpanetLayout } from './spanet/reader';

export type FileKind = 'larcv3' | 'spanet' | 'generic';

export type FileSummary =
  | { kind: 'larcv3'; numEntries: number; products: Larcv3Product[] }
  | { kind: 'spanet'; layout: SpanetLayout }
  | { kind: 'generic'; layout: GenericLayout };

export function looksLikeLarcv3(src: H5Source): boolean {
  if (src.isDataset('/Events/event_id')) return true;
  if (src.isGroup('/Data') && src.isGroup('/Events')) return true;
  return src.isGroup('/Data') && src.keys('/Data').some((k) => /_group$/.test(k));
}

/** Detects the kind and validates the structure; throws DataFileError when the file is unusable. */
export function detectKind(src: H5Source, tree: TreeNode = buildTree(src)): FileSummary {
  if (looksLikeLarcv3(src)) {
    const r = new Larcv3Reader(src);
    r.validate();
    return { kind: 'larcv3', numEntries: r.numEntries, products: r.products() };
  }
  if (looksLikeSpanet(src)) return { kind: 'spanet', layout: spanetLayout(src) };
  const layout = genericLayout(tree);
  if (layout.numericDatasets === 0)
    throw new DataFileError({
      code: 'unknown-kind',
      file: src.fileName,
      problem: 'HDF5 file holds neither larcv3 (/Events, /Data), SPANet (INPUTS, TARGETS) nor any numeric dataset',
      expected: 'a larcv3, SPANet or table-like HDF5 file',
    });
  return { kind: 'generic', layout };
}
