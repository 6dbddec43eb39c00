import { useRef, useState, type ReactNode } from 'react';
import './data.css';

/** Drop HDF5 files here or click to pick them; `onFiles` gets what was dropped or chosen. */
export function DropZone(p: { onFiles(files: File[]): void; testId: string; inputTestId: string; children: ReactNode }) {
  const { onFiles, testId, children } = p;
  const [over, setOver] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  return (
    <div
      className={`data-dropzone${over ? ' over' : ''}`}
      data-testid={testId}
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        e.preventDefault();
        setOver(false);
        onFiles(Array.from(e.dataTransfer?.files ?? []));
      }}
      onClick={() => input.current?.click()}
      role="button"
      tabIndex={0}
      onKeyDown={(e) => {
        if (e.key === 'Enter' || e.key === ' ') input.current?.click();
      }}
    >
      {children}
      <input
        ref={input}
        type="file"
        multiple
        accept=".h5,.hdf5,.hdf,.he5,application/x-hdf5"
        data-testid={p.inputTestId}
        style={{ display: 'none' }}
        onClick={(e) => e.stopPropagation()}
        onChange={(e) => {
          onFiles(Array.from(e.target.files ?? []));
          e.target.value = '';
        }}
      />
    </div>
  );
}
