import { useEffect } from 'react';
import { useTrainStore } from '../state/trainStore';
import { DataPanel } from './data/DataPanel';
import { ErrorList } from './ErrorList';
import { GpuStatus } from './GpuStatus';
import { TrainPanel } from './train/TrainPanel';

export function App() {
  const connect = useTrainStore((s) => s.connect);
  useEffect(() => connect(), [connect]);
  return (
    <div className="app">
      <header>
        <h1>PhysML Workbench</h1>
        <span className="tagline">train physics models on your own GPU — your data never leaves this machine</span>
        <GpuStatus />
      </header>
      <ErrorList />
      <main>
        <DataPanel />
        <TrainPanel />
      </main>
    </div>
  );
}
