import { useState } from 'react';
import { useTrainStore } from '../../state/trainStore';
import { GALLERY, type GalleryTask } from './galleryTasks';
import { openGalleryTask } from './openTask';
import './gallery.css';

/**
 * The first screen: what the workbench trains, one card per task (one click loads its demo
 * file and settings); the Data panel's drop zone follows it for your own files. `onPicked`
 * runs once a card's data is attached (the page then scrolls to the Train panel).
 */
export function TaskGallery({ onPicked }: { onPicked(): void }) {
  const busyRun = useTrainStore((s) => s.state === 'running' || s.state === 'creating');
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const base = (import.meta.env?.BASE_URL as string | undefined) ?? '/';

  const open = async (card: GalleryTask) => {
    setBusy(card.taskId);
    setError(null);
    try {
      await openGalleryTask(card, base);
      onPicked();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(null);
    }
  };

  return (
    <section className="gallery" data-testid="task-gallery" aria-label="tasks">
      <p className="gallery-lead">Pick a physics task to train on a demo file, or drop your own HDF5 / larcv3 file below.</p>
      <div className="gallery-cards">
        {GALLERY.map((card) => (
          <button
            key={card.taskId}
            type="button"
            className={`gallery-card${card.demoFile ? '' : ' engine'}`}
            disabled={!!busy || busyRun}
            onClick={() => void open(card)}
            data-testid={`gallery-${card.taskId}`}
          >
            <b>{card.title}</b>
            <span>{card.blurb}</span>
            <span className="gallery-file">
              {busy === card.taskId ? `loading ${card.demoFile ?? ''}…` : card.demoFile ? `demo: ${card.demoFile}` : 'built-in data'}
            </span>
          </button>
        ))}
      </div>
      {error && (
        <div className="banner error" role="alert" data-testid="gallery-error">
          {error}
        </div>
      )}
    </section>
  );
}
