/** The Train panel ↔ RUN.json mapping of Save / Load run config (store only, no DOM). */
import { describe, expect, it } from 'vitest';
import { useTrainStore } from '../../src/state/trainStore';
import { TASKS } from '../../src/tasks';
import { formatRunJson, parseRunConfig, parseRunJson } from '../../src/train/runConfig';
import { applyRun, runFromState } from '../../src/ui/train/RunConfigBar';

describe('Save / Load run config', () => {
  it('saves the panel as a valid RUN.json and loads it back into the panel', () => {
    const store = useTrainStore.getState();
    store.selectTask('deepsets');
    store.setConfig('pool', 'max');
    store.setOptimizer({ schedule: 'warmup_cosine', warmup_steps: 20, clip_norm: 1 });
    store.setSettings({ evalEvery: 50, maxSteps: 300, accumulate: 2 });
    store.setData({
      taskId: 'deepsets',
      label: 'sets_demo.h5: …',
      payload: {},
      source: { file: 'sets_demo.h5', option: 'generic-sets:/sets/counts:/target' },
    });
    const saved = formatRunJson(parseRunConfig(runFromState(useTrainStore.getState()), TASKS));
    const rc = parseRunJson(saved, TASKS);
    expect(rc).toMatchObject({
      task: 'deepsets',
      steps: 300,
      eval_every: 50,
      accumulate: 2,
      data: { train: 'sets_demo.h5', option: 'generic-sets:/sets/counts:/target' },
    });
    expect(rc.optimizer).toMatchObject({ schedule: 'warmup_cosine', warmup_steps: 20, clip_norm: 1, lr: 1e-3 });

    store.setData(null);
    store.selectTask('toy-mlp');
    const note = applyRun(rc);
    const s = useTrainStore.getState();
    expect(s.taskId).toBe('deepsets');
    expect(s.config.pool).toBe('max');
    expect(s.settings).toMatchObject({ evalEvery: 50, maxSteps: 300, accumulate: 2 });
    expect(s.settings.optimizer).toEqual(rc.optimizer);
    // The file itself cannot be opened from a RUN.json in the browser: the user is told which.
    expect(note).toMatch(/trains on sets_demo\.h5 \(option generic-sets:\/sets\/counts:\/target\): load that file/);
  });

  it('shows why a bad RUN.json does not load, naming the key', () => {
    expect(() => parseRunJson(JSON.stringify({ task: 'toy-mlp', optimiser: {} }), TASKS, 'mine.json')).toThrow(
      /^mine\.json: optimiser: unknown key/,
    );
  });
});
