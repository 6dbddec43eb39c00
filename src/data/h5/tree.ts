import type { H5Source } from './source';
import { joinPath, type TreeNode } from './types';

/** Builds the full group/dataset tree of `src` (metadata only, no data read). */
export function buildTree(src: H5Source, path = '/', depth = 0, maxNodes = { left: 20000 }): TreeNode {
  const name = path === '/' ? '/' : path.split('/').pop()!;
  if (src.isDataset(path)) {
    maxNodes.left--;
    const dataset = src.info(path);
    return { kind: 'dataset', name, path, attrs: dataset.attrs, dataset };
  }
  if (!src.isGroup(path)) return { kind: 'other', name, path, attrs: {} };
  const node: TreeNode = { kind: 'group', name, path, attrs: src.attrs(path), children: [] };
  if (depth > 32) return node;
  for (const k of src.keys(path)) {
    if (maxNodes.left <= 0) break;
    maxNodes.left--;
    node.children!.push(buildTree(src, joinPath(path, k), depth + 1, maxNodes));
  }
  return node;
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
    lines.push(`${indent}${node.name}  [${d.shape.join(', ')}]  ${d.dtypeText}${d.filters.length ? '  ' + d.filters.join('+') : ''}${attrText(node.attrs)}`);
  } else if (node.kind === 'group') {
    lines.push(`${indent}${node.name === '/' ? '/' : node.name + '/'}${attrText(node.attrs)}`);
    for (const c of node.children ?? []) lines.push(formatTree(c, indent + '  '));
  } else {
    lines.push(`${indent}${node.name}  (${node.kind})`);
  }
  return lines.join('\n');
}
