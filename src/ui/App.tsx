import { useEffect, useState } from 'react';
import { useTrainStore } from '../state/trainStore';
import { DataPanel } from './data/DataPanel';
import { ErrorList } from './ErrorList';
import { TaskGallery } from './gallery/TaskGallery';
import { GpuStatus } from './GpuStatus';
import { TrainPanel } from './train/TrainPanel';
import { RunsPanel } from './runs/RunsPanel';

export function App() {
  const connect = useTrainStore((s) => s.connect);
  useEffect(() => connect(), [connect]);
  // The gallery opens the page; once a card is picked it folds to one line.
  const [gallery, setGallery] = useState(true);
  const picked = () => {
    setGallery(false);
    requestAnimationFrame(() =>
      document.querySelector('[data-testid="train-panel"]')?.scrollIntoView({ behavior: 'smooth', block: 'start' }),
    );
  };
  return (
    <div className="app">
      <header>
        <h1>PhysML Workbench</h1>
        <span className="tagline">train physics models on your own GPU — your data never leaves this machine</span>
        <GpuStatus />
      </header>
      <ErrorList />
      {gallery ? (
        <TaskGallery onPicked={picked} />
      ) : (
        <div className="gallery-bar">
          <button type="button" className="link" onClick={() => setGallery(true)} data-testid="btn-show-gallery">
            tasks and demo files
          </button>
        </div>
      )}
      <main>
        <DataPanel />
        <TrainPanel />
        <RunsPanel />
      </main>
    </div>
  );
}
