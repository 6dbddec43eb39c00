import { useState } from 'react';
import type { AttrValue, TreeNode } from '../../data/h5/types';
import { dtypeToText } from '../../data/h5/types';
import { truncationText } from '../../data/h5/tree';

function attrsText(a: Record<string, AttrValue>): string {
  return Object.entries(a)
    .map(([k, v]) => `${k}=${JSON.stringify(v)?.slice(0, 60)}`)
    .join(', ');
}

function Node({
  node,
  depth,
  selected,
  onSelect,
}: {
  node: TreeNode;
  depth: number;
  selected: string | null;
  onSelect: (p: string) => void;
}) {
  const [open, setOpen] = useState(depth < 2);
  const d = node.dataset;
  const attrs = attrsText(node.attrs);
  if (node.kind === 'group') {
    return (
      <li data-testid="data-tree-node" data-path={node.path} data-node-kind="group">
        <button type="button" className="data-tree-toggle" onClick={() => setOpen(!open)} aria-expanded={open}>
          {open ? '▾' : '▸'} <span className="data-tree-name">{node.name === '/' ? '/' : `${node.name}/`}</span>
        </button>
        {attrs && <span className="data-tree-attrs">@{attrs}</span>}
        {open && (
          <ul>
            {node.children?.map((c) => (
              <Node key={c.path} node={c} depth={depth + 1} selected={selected} onSelect={onSelect} />
            ))}
            {node.cut && (
              <li className="data-tree-cut muted" data-testid="data-tree-cut">
                … {node.cut.omitted.toLocaleString('en-US')} more not listed (
                {node.cut.reason === 'depth-limit' ? 'depth limit' : 'node limit'})
              </li>
            )}
          </ul>
        )}
      </li>
    );
  }
  return (
    <li data-testid="data-tree-node" data-path={node.path} data-node-kind={node.kind}>
      <button
        type="button"
        className={`data-tree-leaf${selected === node.path ? ' selected' : ''}`}
        onClick={() => onSelect(node.path)}
        disabled={!d}
      >
        <span className="data-tree-name">{node.name}</span>
        {d && (
          <>
            <span className="data-tree-shape">[{d.shape.join(', ')}]</span>
            <span className="data-tree-dtype" title={d.dtypeText}>
              {d.dtype.kind === 'compound' ? 'compound' : dtypeToText(d.dtype)}
            </span>
          </>
        )}
      </button>
      {d?.dtype.kind === 'compound' && (
        <ul className="data-tree-members">
          {d.dtype.members.map((m) => (
            <li key={m.name}>
              {m.name}: <code>{dtypeToText(m.type)}</code> <span className="data-tree-offset">@{m.offset}</span>
            </li>
          ))}
        </ul>
      )}
      {attrs && <div className="data-tree-attrs">@{attrs}</div>}
    </li>
  );
}

export function TreeView({ tree, selected, onSelect }: { tree: TreeNode; selected: string | null; onSelect: (p: string) => void }) {
  const cut = truncationText(tree);
  return (
    <>
      {cut && (
        <div className="banner warning" role="status" data-testid="data-tree-truncated">
          {cut}
        </div>
      )}
      <ul className="data-tree" data-testid="data-tree">
        <Node node={tree} depth={0} selected={selected} onSelect={onSelect} />
      </ul>
    </>
  );
}
