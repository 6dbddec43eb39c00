import type { H5Source } from './source';
import { joinPath, type TreeNode, type TreeTruncation } from './types';

/** Large files are listed up to these limits; a cut tree says so (see TreeNode.truncated). */
export const TREE_MAX_NODES = 20000;
export const TREE_MAX_DEPTH = 32;

/**
 * Builds the group/dataset tree of `src` (metadata only, no data read), at most `maxNodes`
 * nodes and `maxDepth` levels below `path`. Groups left incomplete carry `cut`; the root
 * carries `truncated` with the counts when anything was left out.
 */
export function buildTree(src: H5Source, path = '/', limits: { maxNodes?: number; maxDepth?: number } = {}): TreeNode {
  const maxNodes = limits.maxNodes ?? TREE_MAX_NODES;
  const maxDepth = limits.maxDepth ?? TREE_MAX_DEPTH;
  const t: TreeTruncation = { maxNodes, maxDepth, listed: 1, omittedByNodeLimit: 0, groupsAtDepthLimit: 0, omittedByDepthLimit: 0 };
  const visit = (p: string, depth: number): TreeNode => {
    const name = p === '/' ? '/' : p.split('/').pop()!;
    if (src.isDataset(p)) {
      const dataset = src.info(p);
      return { kind: 'dataset', name, path: p, attrs: dataset.attrs, dataset };
    }
    if (!src.isGroup(p)) return { kind: 'other', name, path: p, attrs: {} };
    const node: TreeNode = { kind: 'group', name, path: p, attrs: src.attrs(p), children: [] };
    const keys = src.keys(p);
    if (depth >= maxDepth) {
      if (keys.length) {
        node.cut = { omitted: keys.length, reason: 'depth-limit' };
        t.groupsAtDepthLimit++;
        t.omittedByDepthLimit += keys.length;
      }
      return node;
    }
    for (let i = 0; i < keys.length; i++) {
      if (t.listed >= maxNodes) {
        node.cut = { omitted: keys.length - i, reason: 'node-limit' };
        t.omittedByNodeLimit += keys.length - i;
        break;
      }
      t.listed++;
      node.children!.push(visit(joinPath(p, keys[i]!), depth + 1));
    }
    return node;
  };
  const root = visit(path, 0);
  if (t.omittedByNodeLimit || t.groupsAtDepthLimit) root.truncated = t;
  return root;
}

/** One line saying what a truncated tree left out, or null when the tree is complete. */
export function truncationText(tree: TreeNode): string | null {
  const t = tree.truncated;
  if (!t) return null;
  const parts: string[] = [];
  if (t.omittedByNodeLimit)
    parts.push(
      `${t.omittedByNodeLimit.toLocaleString('en-US')} more members not listed (limit ${t.maxNodes.toLocaleString('en-US')} nodes)`,
    );
  if (t.groupsAtDepthLimit)
    parts.push(
      `${t.groupsAtDepthLimit} group(s) deeper than ${t.maxDepth} levels not opened (${t.omittedByDepthLimit.toLocaleString('en-US')} members)`,
    );
  return `tree truncated: ${t.listed.toLocaleString('en-US')} nodes listed; ${parts.join('; ')}`;
}

/** Every node of a tree, depth first. */
export function* walkTree(node: TreeNode): Generator<TreeNode> {
  yield node;
  for (const c of node.children ?? []) yield* walkTree(c);
}

/** Text rendering used by the CLI: one line per node with shape, dtype and attributes. */
export function formatTree(node: TreeNode, indent = ''): string {
  const lines: string[] = [];
  const attrText = (a: TreeNode['attrs']) => {
    const ks = Object.keys(a);
    if (!ks.length) return '';
    return '  @{' + ks.map((k) => `${k}=${JSON.stringify(a[k])?.slice(0, 40)}`).join(', ') + '}';
  };
  if (node.kind === 'dataset' && node.dataset) {
    const d = node.dataset;
    lines.push(
      `${indent}${node.name}  [${d.shape.join(', ')}]  ${d.dtypeText}${d.filters.length ? '  ' + d.filters.join('+') : ''}${attrText(node.attrs)}`,
    );
  } else if (node.kind === 'group') {
    if (!indent && node.truncated) lines.push(truncationText(node)!);
    lines.push(`${indent}${node.name === '/' ? '/' : node.name + '/'}${attrText(node.attrs)}`);
    for (const c of node.children ?? []) lines.push(formatTree(c, indent + '  '));
    if (node.cut)
      lines.push(`${indent}  … ${node.cut.omitted} more not listed (${node.cut.reason === 'depth-limit' ? 'depth limit' : 'node limit'})`);
    // repeated last: a long listing is read from its end
    if (!indent && node.truncated) lines.push(truncationText(node)!);
  } else {
    lines.push(`${indent}${node.name}  (${node.kind})`);
  }
  return lines.join('\n');
}
