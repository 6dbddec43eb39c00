import { useState } from 'react';
import { useTrainStore } from '../../state/trainStore';
import { TASK_CATALOG as TASKS } from '../../tasks/catalog';
import { DEFAULT_STEPS, formatRunJson, parseRunConfig, parseRunJson, type RunConfig } from '../../train/runConfig';

type TrainState = ReturnType<typeof useTrainStore.getState>;

/** The Train panel as a RUN.json: task, form, optimiser, loop settings and the data file's name. */
export function runFromState(s: TrainState): RunConfig {
  const src = s.data?.taskId === s.taskId ? s.data.source : undefined;
  return {
    name: s.taskId,
    task: s.taskId,
    config: s.config,
    optimizer: s.settings.optimizer,
    data: src ? { train: src.file, option: src.option } : {},
    seed: typeof s.config.seed === 'number' ? s.config.seed : 0,
    // The panel's 0 means "until paused"; a RUN.json needs a step count.
    steps: s.settings.maxSteps > 0 ? s.settings.maxSteps : DEFAULT_STEPS,
    eval_every: s.settings.evalEvery,
    read_every: s.settings.readEvery,
    accumulate: s.settings.accumulate,
  };
}

/** Puts a validated run into the panel; returns what the user still has to do about its data. */
export function applyRun(rc: RunConfig): string | null {
  const store = useTrainStore.getState();
  store.selectTask(rc.task);
  for (const [k, v] of Object.entries(rc.config)) store.setConfig(k, v);
  store.setSettings({ evalEvery: rc.eval_every, readEvery: rc.read_every, accumulate: rc.accumulate, maxSteps: rc.steps });
  store.setOptimizer(rc.optimizer);
  if (rc.data.train === undefined) {
    if (store.data?.taskId === rc.task)
      return 'this run uses the built-in data; the loaded file stays attached until you choose "use built-in demo data"';
    return null;
  }
  const src = store.data?.taskId === rc.task ? store.data.source : undefined;
  if (src && src.file === rc.data.train && (rc.data.option === undefined || src.option === rc.data.option)) return null;
  return `this run trains on ${rc.data.train}${rc.data.option ? ` (option ${rc.data.option})` : ''}: load that file in the Data panel and choose it under "Train on this file"`;
}

function download(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Save run config (a RUN.json for `physml train` or a later session) and Load run config. */
export function RunConfigBar() {
  const busy = useTrainStore((s) => s.state === 'running' || s.state === 'creating');
  const [message, setMessage] = useState<{ kind: 'error' | 'note'; text: string } | null>(null);

  const save = () => {
    try {
      // Validate what is saved, so a saved file always loads (form values out of range show here).
      const rc = parseRunConfig(runFromState(useTrainStore.getState()), TASKS, 'run config');
      download('RUN.json', formatRunJson(rc));
      setMessage(null);
    } catch (err) {
      setMessage({ kind: 'error', text: err instanceof Error ? err.message : String(err) });
    }
  };

  const load = async (file: File) => {
    try {
      const rc = parseRunJson(await file.text(), TASKS, file.name);
      const note = applyRun(rc);
      setMessage({ kind: 'note', text: `loaded ${file.name}${note ? `; ${note}` : ''}` });
    } catch (err) {
      setMessage({ kind: 'error', text: err instanceof Error ? err.message : String(err) });
    }
  };

  return (
    <div className="buttons" data-testid="run-config-bar">
      <button disabled={busy} onClick={save} data-testid="btn-save-run">
        Save run config
      </button>
      <label>
        Load run config{' '}
        <input
          type="file"
          accept=".json,application/json"
          disabled={busy}
          data-testid="input-load-run"
          onChange={(e) => {
            const f = e.target.files?.[0];
            if (f) void load(f);
            e.target.value = '';
          }}
        />
      </label>
      {message && (
        <div
          className={message.kind === 'error' ? 'banner error' : 'muted'}
          role={message.kind === 'error' ? 'alert' : undefined}
          data-testid={message.kind === 'error' ? 'run-config-error' : 'run-config-note'}
        >
          {message.text}
        </div>
      )}
    </div>
  );
}
