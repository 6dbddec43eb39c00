import { useState } from 'react';
import { useTrainStore } from '../../state/trainStore';
import { TASK_CATALOG as TASKS } from '../../tasks/catalog';
import {
  attachRunFiles,
  baseName,
  DEFAULT_STEPS,
  describeMissing,
  findRunJson,
  formatRunJson,
  parseRunConfig,
  parseRunJson,
  type GivenFile,
  type MissingRunFile,
  type RunConfig,
} from '../../train/runConfig';

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
  /** A loaded RUN.json still waiting for the options / event files it names. */
  const [pending, setPending] = useState<{ run: RunConfig; source: string; missing: MissingRunFile[] } | null>(null);

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

  /** A RUN.json, optionally with the files it names chosen with it, or (pending) the named files. */
  const load = async (chosen: File[]) => {
    try {
      const files: GivenFile[] = await Promise.all(chosen.map(async (f) => ({ name: f.name, text: await f.text() })));
      const runFile = findRunJson(files);
      let base = pending;
      if (runFile) base = { run: parseRunJson(runFile.text, TASKS, runFile.name), source: runFile.name, missing: [] };
      if (!base) throw new Error(`none of ${files.map((f) => f.name).join(', ')} is a RUN.json (a JSON object with a "task" key)`);
      const given = files.filter((f) => f !== runFile);
      const { run, missing } = attachRunFiles(base.run, given);
      const named = new Set([base.run.options_file, base.run.event_file].filter((p): p is string => !!p).map(baseName));
      const stray = given.filter((f) => !named.has(f.name)).map((f) => f.name);
      const strayNote = stray.length ? ` (${stray.join(', ')}: not named by ${base.source}, not used)` : '';
      if (missing.length) {
        setPending({ run, source: base.source, missing });
        setMessage({
          kind: 'note',
          text:
            `${base.source} names ${describeMissing(missing)}, which the page cannot open by path: choose ` +
            `${missing.map((m) => m.name).join(' and ')} with "the files it names" (nothing is applied until then)${strayNote}`,
        });
        return;
      }
      setPending(null);
      const note = applyRun(run);
      const attached = given.filter((f) => named.has(f.name)).map((f) => f.name);
      setMessage({
        kind: 'note',
        text: `loaded ${base.source}${attached.length ? ` with ${attached.join(', ')}` : ''}${strayNote}${note ? `; ${note}` : ''}`,
      });
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
          multiple
          accept=".json,.yaml,.yml,application/json"
          title="a RUN.json, and the options_file / event_file it names if it names any"
          disabled={busy}
          data-testid="input-load-run"
          onChange={(e) => {
            const fs = [...(e.target.files ?? [])];
            if (fs.length) void load(fs);
            e.target.value = '';
          }}
        />
      </label>
      {pending && (
        <label>
          the files it names ({pending.missing.map((m) => m.name).join(', ')}){' '}
          <input
            type="file"
            multiple
            accept=".json,.yaml,.yml,application/json"
            disabled={busy}
            data-testid="input-run-files"
            onChange={(e) => {
              const fs = [...(e.target.files ?? [])];
              if (fs.length) void load(fs);
              e.target.value = '';
            }}
          />
        </label>
      )}
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
