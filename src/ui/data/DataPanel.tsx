import { useCallback } from 'react';
import type { FileSummary } from '../../data/detect';
import { useDataStore, type LoadedFile } from '../../state/dataStore';
import { DropZone } from './DropZone';
import { PreviewView } from './PreviewView';
import { CheckBadge, RoleSelect, StreamRoles } from './StreamRoles';
import { TrainFromFile } from './TrainFromFile';
import { TreeView } from './TreeView';
import './data.css';

export const DEMO_FILES = ['larcv3_demo.h5', 'cosmic_demo.h5', 'spanet_demo.h5', 'sets_demo.h5', 'sets_demo_val.h5', 'hits_demo.h5'];

function kindLabel(s: FileSummary): string {
  switch (s.kind) {
    case 'larcv3':
      return `larcv3 · ${s.numEntries} entries · ${s.products.map((p) => `${p.type}/${p.producer}`).join(', ')}`;
    case 'spanet':
      return `SPANet · ${s.layout.nEvents} events · inputs ${s.layout.sources.map((x) => x.name).join(', ')} · targets ${s.layout.targets
        .map((x) => x.particle)
        .join(', ')}${s.layout.regressions.length ? ` · ${s.layout.regressions.length} regressions` : ''}${
        s.layout.classifications.length ? ` · ${s.layout.classifications.length} classifications` : ''
      }`;
    case 'generic':
      return `generic HDF5 · ${s.layout.tables.length} tables · ${s.layout.jagged.length} jagged arrays`;
  }
}

function FileRow({ f, active, onSelect, onRemove }: { f: LoadedFile; active: boolean; onSelect: () => void; onRemove: () => void }) {
  return (
    <li
      className={`data-file${active ? ' active' : ''} ${f.status}`}
      data-testid="data-file"
      data-file-name={f.name}
      data-status={f.status}
    >
      <button type="button" className="data-file-name" onClick={onSelect}>
        {f.name}
      </button>
      {f.status === 'ready' && f.summary && (
        <span className="data-kind" data-testid="data-kind" data-kind={f.summary.kind}>
          {f.summary.kind}
        </span>
      )}
      {f.status === 'loading' && (
        <span className="data-progress-wrap">
          <progress data-testid="data-progress" max={1} value={f.progress} /> <span className="data-stage">{f.stage}</span>
        </span>
      )}
      {f.status === 'error' && <span className="data-kind error">error</span>}
      {f.status === 'ready' && <RoleSelect f={f} />}
      {f.status === 'ready' && <CheckBadge f={f} />}
      <button type="button" className="data-file-remove" aria-label={`remove ${f.name}`} onClick={onRemove}>
        ×
      </button>
    </li>
  );
}

/** Drop zone, file picker, loaded files, inspector tree and dataset preview. */
export function DataPanel() {
  const { files, activeId, preview, loadFile, loadUrl, remove, setActive, showPreview } = useDataStore();
  const active = files.find((f) => f.id === activeId) ?? null;

  const addFiles = useCallback(
    (list: File[]) => {
      for (const f of list) void loadFile(f);
    },
    [loadFile],
  );
  const base = (import.meta.env?.BASE_URL as string | undefined) ?? '/';

  return (
    <section className="data-panel" data-testid="data-panel">
      <DropZone testId="data-dropzone" inputTestId="data-file-input" onFiles={addFiles}>
        Drop HDF5 files here (larcv3, SPANet or any HDF5), or click to choose
      </DropZone>
      <div className="data-demo">
        Demo files:{' '}
        {DEMO_FILES.map((n) => (
          <button key={n} type="button" data-testid={`data-demo-${n}`} onClick={() => void loadUrl(`${base}demo/${n}`, n)}>
            {n}
          </button>
        ))}
      </div>
      {files.length > 0 && (
        <ul className="data-files" data-testid="data-files">
          {files.map((f) => (
            <FileRow key={f.id} f={f} active={f.id === activeId} onSelect={() => setActive(f.id)} onRemove={() => remove(f.id)} />
          ))}
        </ul>
      )}
      {files.some((f) => f.status === 'ready') && <StreamRoles />}
      {active?.status === 'error' && active.error && (
        <div className="data-error" data-testid="data-error" role="alert" data-error-code={active.error.code}>
          <strong>{active.name}</strong>: {active.error.message}
        </div>
      )}
      {active?.status === 'ready' && active.tree && (
        <div className="data-inspector">
          <div className="data-summary" data-testid="data-summary">
            {active.summary && kindLabel(active.summary)}
            {active.mounted !== undefined && (
              <span className="data-mounted">{active.mounted ? ' · mounted (not copied)' : ' · copied into memory'}</span>
            )}
          </div>
          <TrainFromFile file={active} />
          <div className="data-inspector-body">
            <TreeView
              key={active.id}
              tree={active.tree}
              selected={preview?.fileId === active.id ? preview.path : null}
              onSelect={(p) => void showPreview(active.id, p)}
            />
            {preview && preview.fileId === active.id && <PreviewView preview={preview} />}
          </div>
        </div>
      )}
    </section>
  );
}

export default DataPanel;
