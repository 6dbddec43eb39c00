import { join } from 'node:path';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterAll, describe, expect, it } from 'vitest';
import { openNodeH5 } from '../../src/data/h5/node';
import type { H5Source } from '../../src/data/h5/source';
import { TREE_MAX_DEPTH, TREE_MAX_NODES, buildTree, formatTree, truncationText, walkTree } from '../../src/data/h5/tree';
import type { DatasetInfo } from '../../src/data/h5/types';
import { encodeNumbers } from '../../tools/writers/encode';
import { writeH5NodeFile } from '../../tools/writers/nodeWrite';
import { TreeView } from '../../src/ui/data/TreeView';
import { tmpDir } from './fixtures';

const t = tmpDir();
afterAll(() => t.cleanup());

/** An in-memory H5Source of groups and scalar f4 datasets: files too large to write in a test. */
function fakeSource(children: (path: string) => string[] | null): H5Source {
  const info = (p: string): DatasetInfo => ({
    path: p,
    name: p.split('/').pop()!,
    shape: [1],
    maxshape: null,
    dtype: { kind: 'float', size: 4, littleEndian: true },
    dtypeText: '<f4',
    chunks: null,
    filters: [],
    attrs: {},
  });
  return {
    fileName: 'fake.h5',
    exists: () => true,
    isGroup: (p) => children(p) !== null,
    isDataset: (p) => children(p) === null,
    keys: (p) => children(p) ?? [],
    attrs: () => ({}),
    info,
    readRows: () => new Uint8Array(0),
    readNumeric: () => new Float32Array(0),
    readStrings: () => [],
    close: () => {},
  };
}

describe('tree limits are stated, not silent', () => {
  it(`a group of 25,000 datasets is listed up to ${TREE_MAX_NODES} nodes and says how many were left out`, () => {
    const names = Array.from({ length: 25_000 }, (_, i) => `d${i}`);
    const src = fakeSource((p) => (p === '/' ? ['big'] : p === '/big' ? names : null));
    const tree = buildTree(src);
    const big = tree.children![0]!;
    const listed = [...walkTree(tree)].length;
    expect(listed).toBe(TREE_MAX_NODES);
    expect(big.children!.length).toBe(TREE_MAX_NODES - 2);
    expect(big.cut).toEqual({ omitted: 25_000 - (TREE_MAX_NODES - 2), reason: 'node-limit' });
    expect(tree.truncated).toMatchObject({
      listed: TREE_MAX_NODES,
      maxNodes: TREE_MAX_NODES,
      omittedByNodeLimit: 5002,
      groupsAtDepthLimit: 0,
    });
    expect(truncationText(tree)).toBe('tree truncated: 20,000 nodes listed; 5,002 more members not listed (limit 20,000 nodes)');
    const text = formatTree(tree).split('\n');
    expect(text[0]).toBe(truncationText(tree));
    expect(text.at(-1)).toBe(truncationText(tree));
    expect(text).toContain('    … 5002 more not listed (node limit)');
  });

  it(`groups nested deeper than ${TREE_MAX_DEPTH} levels are marked, with the members they hold`, () => {
    // /g/g/…/g (40 levels), each holding one dataset and the next group
    const src = fakeSource((p) => {
      if (p.endsWith('/x')) return null;
      const depth = p === '/' ? 0 : p.split('/').length - 1;
      return depth < 40 ? ['g', 'x'] : ['x'];
    });
    const tree = buildTree(src);
    const groups = [...walkTree(tree)].filter((n) => n.kind === 'group');
    expect(groups.length).toBe(TREE_MAX_DEPTH + 1);
    const deepest = groups.at(-1)!;
    expect(deepest.path.split('/').length - 1).toBe(TREE_MAX_DEPTH);
    expect(deepest.children).toEqual([]);
    expect(deepest.cut).toEqual({ omitted: 2, reason: 'depth-limit' });
    expect(tree.truncated).toMatchObject({ groupsAtDepthLimit: 1, omittedByDepthLimit: 2, omittedByNodeLimit: 0 });
    expect(truncationText(tree)).toContain('1 group(s) deeper than 32 levels not opened (2 members)');
  });

  it('a complete tree carries no truncation, and a real file obeys explicit limits', async () => {
    const f4 = { kind: 'float', size: 4, littleEndian: true } as const;
    const path = join(t.dir, 'many.h5');
    await writeH5NodeFile(path, [
      ...Array.from({ length: 12 }, (_, i) => ({
        path: `/flat/v${String(i).padStart(2, '0')}`,
        type: f4,
        shape: [1],
        bytes: encodeNumbers(f4, [i]),
      })),
      { path: '/a/b/c/d/deep', type: f4, shape: [1], bytes: encodeNumbers(f4, [1]) },
    ]);
    const src = await openNodeH5(path);
    try {
      const full = buildTree(src);
      expect(full.truncated).toBeUndefined();
      expect([...walkTree(full)].some((n) => n.cut)).toBe(false);
      expect(formatTree(full)).not.toMatch(/truncated|not listed/);
      const cut = buildTree(src, '/', { maxNodes: 8, maxDepth: 3 });
      expect([...walkTree(cut)].length).toBe(8);
      expect(cut.truncated).toMatchObject({ listed: 8, omittedByNodeLimit: 12 - (8 - 5) }); // root, /a, /a/b, /a/b/c, /flat + 3 of its 12
      expect(cut.truncated!.groupsAtDepthLimit).toBe(1); // /a/b/c holds d
    } finally {
      src.close();
    }
  });

  it('the inspector shows the truncation above the tree and under each cut group', () => {
    const src = fakeSource((p) => (p === '/' ? ['big'] : p === '/big' ? Array.from({ length: 30 }, (_, i) => `d${i}`) : null));
    const tree = buildTree(src, '/', { maxNodes: 10 });
    const html = renderToStaticMarkup(createElement(TreeView, { tree, selected: null, onSelect: () => {} }));
    expect(html).toContain('data-testid="data-tree-truncated"');
    expect(html).toContain('tree truncated: 10 nodes listed; 22 more members not listed (limit 10 nodes)');
    expect(html).toContain('… 22 more not listed (node limit)');
    const complete = renderToStaticMarkup(
      createElement(TreeView, { tree: buildTree(fakeSource((p) => (p === '/' ? ['x'] : null))), selected: null, onSelect: () => {} }),
    );
    expect(complete).not.toContain('truncated');
  });
});
