/**
 * The run history: every run trained in this browser (or opened from a `physml train` folder)
 * lives in origin-private storage as a run folder, the same layout as the CLI's:
 *
 *   physml-runs/<id>/meta.json      RunRecord (name, task, data file, status, steps, best metrics)
 *   physml-runs/<id>/run.json       the RUN.json of the run (trains unchanged with `physml train`)
 *   physml-runs/<id>/metrics.jsonl  every train / test row, as the CLI writes it
 *   physml-runs/<id>/checkpoints/   written by the training worker (train/worker/checkpointing.ts)
 *
 * This store creates the record when a model is created, keeps metrics.jsonl up to date
 * (rewritten at most every 2 s and on each checkpoint), and resumes a run: the panel gets the
 * run's config, a model is created, the worker loads the newest checkpoint, and the chart gets
 * the stored curves up to that step.
 */
import { create } from 'zustand';
import { DEFAULT_POLICY, type CheckpointPolicy } from '../runs/checkpointStore';
import { fingerprintFile } from '../runs/fingerprint';
import { formatMetricRows, parseMetricRows, type MetricRow } from '../runs/metricsLog';
import { opfsAvailable, opfsFolderStore, runFolder } from '../runs/opfs';
import { TASK_CATALOG } from '../tasks/catalog';
import type { FromWorker } from '../train/protocol';
import { formatRunJson, parseRunJson, type RunConfig } from '../train/runConfig';
import { applyRun, runFromState } from '../ui/train/RunConfigBar';
import { useDataStore } from './dataStore';
import { SeriesColumns } from './seriesColumns';
import { sendToWorker, useTrainStore, workerListeners } from './trainStore';

export type RunStatus = 'ready' | 'running' | 'paused' | 'interrupted' | 'crashed' | 'imported';

export interface RunRecord {
  id: string;
  name: string;
  task: string;
  created: string;
  updated: string;
  status: RunStatus;
  steps: number;
  /** Step of the newest complete checkpoint. */
  checkpoint: number | null;
  data: { file: string; option?: string; size?: number; fingerprint?: string } | null;
  /** Best test value of each metric (min, or max for accuracy-like names). */
  best: Record<string, number>;
  /** Where it came from: trained here, or opened from a physml train folder. */
  origin: 'browser' | 'folder';
}

interface StorageInfo {
  usage: number;
  quota: number;
  persisted: boolean;
}

interface RunsState {
  available: boolean;
  runs: RunRecord[];
  currentId: string | null;
  storage: StorageInfo | null;
  message: { kind: 'error' | 'note'; text: string } | null;
  policy: CheckpointPolicy;
  /** Runs shown in the compare chart, with their rows and run.json. */
  selected: string[];
  loaded: Record<string, { rows: MetricRow[]; run: RunConfig | null }>;

  init(): Promise<void>;
  refresh(): Promise<void>;
  setPolicy(p: Partial<CheckpointPolicy>): void;
  rename(id: string, name: string): Promise<void>;
  remove(id: string): Promise<void>;
  resume(id: string): Promise<void>;
  duplicate(id: string): Promise<void>;
  toggleSelected(id: string): Promise<void>;
  readText(id: string, file: string): Promise<string | null>;
  readBytes(id: string, file: string): Promise<Uint8Array | null>;
  requestPersist(): Promise<void>;
  importFolder(files: File[]): Promise<void>;
  dismiss(): void;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const root = () => opfsFolderStore();

/** Content fingerprints of the files the user loaded, by name (computed on load). */
const fingerprints = new Map<string, Promise<string>>();

const newId = () =>
  `run-${new Date()
    .toISOString()
    .replace(/[-:.TZ]/g, '')
    .slice(0, 14)}-${Math.random().toString(36).slice(2, 6)}`;

async function writeMeta(r: RunRecord): Promise<void> {
  await runFolder(r.id).writeFile('meta.json', enc.encode(`${JSON.stringify(r, null, 2)}\n`));
}

/** Puts stored curves on the Train panel's chart (after the worker restored the checkpoint). */
function showHistory(rows: MetricRow[], step: number): void {
  const train = rows.filter((r) => r.split === 'train').map((r) => ({ step: r.step, wallMs: r.wallMs, values: r.values }));
  const series = new SeriesColumns();
  series.append(train);
  const evals = rows.filter((r) => r.split === 'test').map((r) => ({ step: r.step, scalars: r.values }));
  useTrainStore.setState((s) => ({
    series,
    seriesVersion: s.seriesVersion + 1,
    lastTrain: train[train.length - 1]?.values ?? {},
    evals,
    step,
  }));
}

export const useRunsStore = create<RunsState>((set, get) => {
  // The current run's rows, in memory; metrics.jsonl is rewritten from them.
  let rows: MetricRow[] = [];
  let lastWall = 0;
  let flushTimer: ReturnType<typeof setTimeout> | null = null;
  let pendingResume: { id: string; run: RunConfig } | null = null;
  // Between 'restored' and the stored rows being read, new rows wait here.
  let restoring: MetricRow[] | null = null;
  const addRow = (row: MetricRow) => {
    if (restoring) restoring.push(row);
    else rows.push(row);
  };

  const current = () => get().runs.find((r) => r.id === get().currentId) ?? null;
  const patch = (id: string, p: Partial<RunRecord>) =>
    set({ runs: get().runs.map((r) => (r.id === id ? { ...r, ...p, updated: new Date().toISOString() } : r)) });
  const fail = (err: unknown) => set({ message: { kind: 'error', text: err instanceof Error ? err.message : String(err) } });

  const flush = async () => {
    flushTimer = null;
    const r = current();
    if (!r) return;
    try {
      await runFolder(r.id).writeFile('metrics.jsonl', enc.encode(formatMetricRows(rows)));
      await writeMeta(r);
    } catch (err) {
      const quota = err instanceof Error && err.name === 'QuotaExceededError';
      fail(
        quota
          ? 'the browser storage is full: the run history is not being saved. Delete old runs in the Runs panel to free space; checkpoints already written are kept.'
          : err,
      );
    }
    void get().refresh();
  };
  const scheduleFlush = () => {
    flushTimer ??= setTimeout(() => void flush(), 2000);
  };

  const startRun = async () => {
    const t = useTrainStore.getState();
    const run = runFromState(t);
    const src = t.data?.taskId === t.taskId ? t.data.source : undefined;
    const file = src ? useDataStore.getState().files.find((f) => f.name === src.file) : undefined;
    const now = new Date().toISOString();
    const rec: RunRecord = {
      id: newId(),
      name: `${t.taskId} ${new Date().toLocaleString()}`,
      task: t.taskId,
      created: now,
      updated: now,
      status: 'ready',
      steps: 0,
      checkpoint: null,
      best: {},
      origin: 'browser',
      data: src ? { file: src.file, option: src.option, size: file?.size } : null,
    };
    rows = [];
    lastWall = 0;
    set({ runs: [rec, ...get().runs], currentId: rec.id });
    sendToWorker({ type: 'track', runId: rec.id, run, policy: get().policy });
    const dir = runFolder(rec.id);
    await dir.writeFile('run.json', enc.encode(formatRunJson(run)));
    const fp = src ? await fingerprints.get(src.file)?.catch(() => undefined) : undefined;
    if (fp && rec.data) patch(rec.id, { data: { ...rec.data, fingerprint: fp } });
    await writeMeta(get().runs.find((x) => x.id === rec.id) ?? rec);
  };

  const onWorker = (msg: FromWorker) => {
    if (!get().available) return;
    const r = current();
    switch (msg.type) {
      case 'created':
        if (pendingResume) {
          const { id, run } = pendingResume;
          pendingResume = null;
          sendToWorker({ type: 'restore', runId: id, run, policy: get().policy });
        } else {
          startRun().catch(fail);
        }
        return;
      case 'restored':
        set({ currentId: msg.runId });
        restoring = [];
        void (async () => {
          const text = (await get().readText(msg.runId, 'metrics.jsonl')) ?? '';
          // Rows after the checkpoint were trained by a run that then stopped: they are redone.
          const stored = parseMetricRows(text).rows.filter((row) => row.step <= msg.step);
          const fresh = restoring ?? [];
          restoring = null;
          rows = [...stored.filter((row) => !fresh.some((f) => f.split === row.split && f.step === row.step)), ...fresh];
          lastWall = rows.filter((row) => row.split === 'train').at(-1)?.wallMs ?? 0;
          patch(msg.runId, { status: 'paused', steps: msg.step, checkpoint: msg.step });
          showHistory(rows, Math.max(msg.step, useTrainStore.getState().step));
          scheduleFlush();
        })().catch(fail);
        return;
      case 'metrics':
        if (!r || !msg.points.length) return;
        for (const p of msg.points) addRow({ step: p.step, wallMs: p.wallMs, split: 'train', values: p.values });
        lastWall = msg.points[msg.points.length - 1].wallMs;
        patch(r.id, { steps: msg.points[msg.points.length - 1].step });
        scheduleFlush();
        return;
      case 'eval': {
        if (!r) return;
        // An evaluation repeated at a step (pause, then resume) replaces the earlier one.
        rows = rows.filter((row) => !(row.split === 'test' && row.step === msg.step));
        addRow({ step: msg.step, wallMs: lastWall, split: 'test', values: msg.result.scalars });
        const best = { ...r.best };
        for (const [k, v] of Object.entries(msg.result.scalars)) {
          if (!Number.isFinite(v)) continue;
          const max = /accuracy|iou|efficiency|purity|match|auc/i.test(k);
          if (best[k] === undefined || (max ? v > best[k] : v < best[k])) best[k] = v;
        }
        patch(r.id, { best });
        scheduleFlush();
        return;
      }
      case 'state':
        if (!r) return;
        if (msg.state === 'running' || msg.state === 'paused' || msg.state === 'ready')
          patch(r.id, { status: msg.state, steps: Math.max(r.steps, msg.step) });
        void flush();
        return;
      case 'checkpointed':
        if (msg.error) {
          fail(msg.error);
        } else {
          patch(msg.runId, { checkpoint: msg.step });
          void flush();
        }
        return;
      case 'error':
        if (msg.fatal && r) {
          patch(r.id, { status: 'crashed' });
          void flush();
        }
        return;
    }
  };

  return {
    available: false,
    runs: [],
    currentId: null,
    storage: null,
    message: null,
    policy: { ...DEFAULT_POLICY, everySteps: 100, everyMinutes: 5, keep: 3, bestMetric: 'loss' },
    selected: [],
    loaded: {},

    async init() {
      if (get().available || !opfsAvailable()) return;
      set({ available: true });
      workerListeners.add(onWorker);
      // Fingerprint every data file the user loads (first and last MiB + size).
      const data = useDataStore.getState();
      const load = data.loadFile;
      useDataStore.setState({
        loadFile: (file: File) => {
          fingerprints.set(file.name, fingerprintFile(file));
          return load(file);
        },
      });
      await get().refresh();
      // A run still marked running was cut off: a reload, a closed tab or a crash.
      for (const r of get().runs) {
        if (r.status === 'running' && r.id !== get().currentId) {
          patch(r.id, { status: 'interrupted' });
          await writeMeta({ ...r, status: 'interrupted' }).catch(() => undefined);
        }
      }
    },

    async refresh() {
      try {
        const ids = await root().listDirs('');
        const list: RunRecord[] = [];
        for (const id of ids) {
          const text = await get().readText(id, 'meta.json');
          if (!text) continue;
          try {
            list.push(JSON.parse(text) as RunRecord);
          } catch {
            // a damaged meta.json: the folder is left alone
          }
        }
        const est = await navigator.storage.estimate?.();
        const persisted = (await navigator.storage.persisted?.()) ?? false;
        // The in-memory record of the current run is newer than its meta.json. Taken after the
        // last await: a record taken before it could be older than a patch that landed meanwhile
        // (a 'checkpointed' report), and setting it would undo that patch for good.
        const cur = current();
        const runs = list.map((r) => (cur && r.id === cur.id ? cur : r));
        if (cur && !runs.some((r) => r.id === cur.id)) runs.push(cur);
        runs.sort((a, b) => b.created.localeCompare(a.created));
        set({ runs, storage: est ? { usage: est.usage ?? 0, quota: est.quota ?? 0, persisted } : null });
      } catch (err) {
        fail(err);
      }
    },

    setPolicy(p) {
      set({ policy: { ...get().policy, ...p } });
    },

    async rename(id, name) {
      patch(id, { name });
      const r = get().runs.find((x) => x.id === id);
      if (r) await writeMeta(r).catch(fail);
    },

    async remove(id) {
      const t = useTrainStore.getState();
      if (id === get().currentId && (t.state === 'running' || t.state === 'creating')) {
        set({ message: { kind: 'error', text: 'pause the run before deleting it' } });
        return;
      }
      await root().removeDir(id).catch(fail);
      const { [id]: _gone, ...loaded } = get().loaded;
      set({
        runs: get().runs.filter((r) => r.id !== id),
        selected: get().selected.filter((s) => s !== id),
        loaded,
        currentId: get().currentId === id ? null : get().currentId,
      });
      await get().refresh();
    },

    async resume(id) {
      try {
        const text = await get().readText(id, 'run.json');
        if (!text) throw new Error('this run has no run.json');
        const run = parseRunJson(text, TASK_CATALOG, `${id}/run.json`);
        const rec = get().runs.find((r) => r.id === id);
        if (!rec?.checkpoint && rec?.checkpoint !== 0) {
          const any = await runFolder(id).listDirs('checkpoints');
          if (!any.length)
            throw new Error('this run has no checkpoint yet (checkpoints are written every N steps, every M minutes and on pause)');
        }
        const note = applyRun(run);
        if (run.data.train !== undefined && note) {
          set({ message: { kind: 'error', text: note } });
          return;
        }
        let t = useTrainStore.getState();
        if (t.state === 'error' || t.gpu !== 'ready') {
          // After a device loss or a worker crash: a fresh worker and device first.
          if (t.state === 'error') t.restart();
          await new Promise<void>((resolve, reject) => {
            const stop = useTrainStore.subscribe((s) => {
              if (s.gpu === 'ready') {
                stop();
                resolve();
              }
              if (s.gpu === 'unavailable') {
                stop();
                reject(new Error('WebGPU is not available'));
              }
            });
            if (useTrainStore.getState().gpu === 'ready') {
              stop();
              resolve();
            }
          });
          t = useTrainStore.getState();
        }
        if (t.state === 'running') throw new Error('pause the current run first');
        pendingResume = { id, run };
        set({ message: null });
        t.create();
      } catch (err) {
        fail(err);
      }
    },

    async duplicate(id) {
      const text = await get().readText(id, 'run.json');
      if (!text) return;
      try {
        const note = applyRun(parseRunJson(text, TASK_CATALOG, `${id}/run.json`));
        set({
          message: {
            kind: 'note',
            text: `the config of this run is in the Train panel${note ? `; ${note}` : ''}: Create model starts a new run`,
          },
        });
      } catch (err) {
        fail(err);
      }
    },

    async toggleSelected(id) {
      const sel = get().selected;
      if (sel.includes(id)) {
        set({ selected: sel.filter((s) => s !== id) });
        return;
      }
      set({ selected: [...sel, id] });
      const metrics = id === get().currentId ? rows.slice() : parseMetricRows((await get().readText(id, 'metrics.jsonl')) ?? '').rows;
      const text = await get().readText(id, 'run.json');
      let run: RunConfig | null = null;
      try {
        run = text ? (JSON.parse(text) as RunConfig) : null;
      } catch {
        run = null;
      }
      set({ loaded: { ...get().loaded, [id]: { rows: metrics, run } } });
    },

    async readText(id, file) {
      const b = await get().readBytes(id, file);
      return b ? dec.decode(b) : null;
    },

    readBytes(id, file) {
      return runFolder(id).readFile(file);
    },

    async requestPersist() {
      const ok = (await navigator.storage.persist?.()) ?? false;
      set({
        message: {
          kind: 'note',
          text: ok
            ? 'storage is persistent: the browser will not evict these runs under storage pressure'
            : 'the browser declined persistent storage (it may grant it to installed or often used sites); runs stay, but may be evicted when the disk is nearly full',
        },
      });
      await get().refresh();
    },

    async importFolder(files) {
      // A `physml train` run folder: run.json + metrics.jsonl (+ weights, checkpoints/…).
      const rel = (f: File) => ((f as File & { webkitRelativePath?: string }).webkitRelativePath || f.name).split('/');
      const byPath = new Map<string, File>();
      for (const f of files) {
        const parts = rel(f);
        byPath.set((parts.length > 1 ? parts.slice(1) : parts).join('/'), f);
      }
      try {
        const runFile = byPath.get('run.json');
        if (!runFile) throw new Error('the folder has no run.json (choose the folder `physml train` wrote, e.g. runs/<name>)');
        const run = parseRunJson(await runFile.text(), TASK_CATALOG, 'run.json');
        const id = newId();
        const dir = runFolder(id);
        for (const [path, f] of byPath) {
          if (path === 'run.json' || path === 'metrics.jsonl' || path === 'weights.safetensors' || path.startsWith('checkpoints/')) {
            await dir.writeFile(path, new Uint8Array(await f.arrayBuffer()));
          }
        }
        const metrics = parseMetricRows((await byPath.get('metrics.jsonl')?.text()) ?? '').rows;
        const ckpts = await dir.listDirs('checkpoints');
        const best: Record<string, number> = {};
        for (const row of metrics.filter((m) => m.split === 'test')) {
          for (const [k, v] of Object.entries(row.values)) {
            const max = /accuracy|iou|efficiency|purity|match|auc/i.test(k);
            if (Number.isFinite(v) && (best[k] === undefined || (max ? v > best[k] : v < best[k]))) best[k] = v;
          }
        }
        const now = new Date().toISOString();
        const lastStep = metrics.reduce((m, r) => Math.max(m, r.step), 0);
        const ckptStep = ckpts.length ? Number(ckpts[ckpts.length - 1].replace('step-', '')) : null;
        const rec: RunRecord = {
          id,
          name: `${run.name ?? run.task} (physml train)`,
          task: run.task,
          created: now,
          updated: now,
          status: 'imported',
          steps: lastStep,
          checkpoint: ckptStep,
          best,
          origin: 'folder',
          data: run.data.train ? { file: run.data.train, option: run.data.option } : null,
        };
        await writeMeta(rec);
        set({
          message: {
            kind: 'note',
            text: `opened ${rec.name}: ${metrics.length} metric rows${ckptStep !== null ? `, checkpoint at step ${ckptStep} (Resume continues it)` : ' (no checkpoints: train with --checkpoint-every N to continue it here)'}`,
          },
        });
        await get().refresh();
      } catch (err) {
        fail(err);
      }
    },

    dismiss() {
      set({ message: null });
    },
  };
});
