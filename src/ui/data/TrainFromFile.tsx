import { useState } from 'react';
import type { LoadedFile } from '../../state/dataStore';
import { useTrainStore } from '../../state/trainStore';
import { taskSpec as findTask } from '../../tasks/catalog';
import { trainingOptions, type TrainingOption } from '../../tasks/fromFile/options';
import { attachTrainingOption } from './attachOption';

/** Offers the tasks this file can train, and hands the chosen data to the Train panel. */
export function TrainFromFile({ file }: { file: LoadedFile }) {
  const running = useTrainStore((s) => s.state === 'running' || s.state === 'creating');
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [notes, setNotes] = useState<string[]>([]);
  if (!file.summary) return null;
  const options = trainingOptions(file.summary, file.tree);
  if (!options.length) {
    return (
      <p className="muted" data-testid="train-from-file-none">
        No built-in task trains on this file's layout yet.
      </p>
    );
  }
  const use = async (o: TrainingOption) => {
    setBusy(o.title);
    setError(null);
    setDone(null);
    setNotes([]);
    try {
      // what the read changed or noticed travels with the data's label into the Train panel
      setNotes(await attachTrainingOption(file, o));
      setDone(`${findTask(o.taskId).label} will train on ${file.name}. Create the model in the Train panel.`);
    } catch (e) {
      setError(`${file.name}: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      setBusy(null);
    }
  };
  return (
    <div className="train-from-file" data-testid="train-from-file" data-file={file.name}>
      <b>Train on this file:</b>
      <ul>
        {options.map((o, i) => (
          <li key={i}>
            <button disabled={!!busy || running} onClick={() => void use(o)} data-testid={`train-option-${o.taskId}`}>
              {findTask(o.taskId).label}
            </button>{' '}
            <span className="muted">{o.title}</span>
          </li>
        ))}
      </ul>
      {busy && (
        <div className="progress" data-testid="train-from-file-busy">
          <span>reading {busy}…</span>
          <progress />
        </div>
      )}
      {error && (
        <div className="banner error" role="alert" data-testid="train-from-file-error">
          {error}
        </div>
      )}
      {done && (
        <div className="muted" data-testid="train-from-file-done">
          {done}
        </div>
      )}
      {notes.length > 0 && (
        <ul className="train-from-file-notes" data-testid="train-from-file-notes">
          {notes.map((n, i) => (
            <li key={i} className={n.startsWith('warning') ? 'banner warning' : 'muted'}>
              {n}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
