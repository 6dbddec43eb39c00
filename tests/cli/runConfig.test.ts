/** RUN.json validation: defaults, unknown keys, types and ranges, option choice. */
import { describe, expect, it } from 'vitest';
import { TASKS } from '../../src/tasks';
import type { TrainingOption } from '../../src/tasks/fromFile/options';
import { DEFAULT_OPTIMIZER } from '../../src/train/optimConfig';
import { capOption, defaultRunConfig, formatRunJson, optionId, parseRunConfig, parseRunJson, pickOption } from '../../src/train/runConfig';

const parse = (v: unknown) => parseRunConfig(v, TASKS);
const toy = TASKS.find((t) => t.id === 'toy-mlp')!;

describe('RUN.json parsing', () => {
  it('fills every omitted key from the task and the optimiser defaults', () => {
    const rc = parse({ task: 'toy-mlp' });
    expect(rc).toEqual(defaultRunConfig(toy));
    expect(rc.config).toEqual(toy.defaults);
    expect(rc.optimizer).toEqual({ ...DEFAULT_OPTIMIZER, lr: toy.optimizer!.lr });
    expect(rc).toMatchObject({ name: 'toy-mlp', steps: 1000, eval_every: 100, read_every: 10, accumulate: 1, data: {} });
    const sp = parse({ task: 'spanet', optimizer: { schedule: 'warmup_cosine', warmup_steps: 10 } });
    expect(sp.optimizer).toMatchObject({ lr: 2e-3, schedule: 'warmup_cosine', warmup_steps: 10, beta2: 0.999 });
    expect(sp.config.eventYaml).toBe('');
  });

  it('names unknown keys at every level with the allowed keys', () => {
    expect(() => parse({ task: 'toy-mlp', epochs: 3 })).toThrow(
      /RUN\.json: epochs: unknown key \(allowed: name, task, seed, steps, eval_every, read_every, accumulate, config, optimizer, data, options_file, event_file, options\)/,
    );
    expect(() => parse({ task: 'toy-mlp', config: { hiden: 3 } })).toThrow(
      /config\.hiden: unknown key \(allowed: trainSize, testSize, batchSize, hidden, layers, activation, seed\)/,
    );
    expect(() => parse({ task: 'toy-mlp', optimizer: { learning_rate: 1 } })).toThrow(
      /optimizer\.learning_rate: unknown key \(allowed: name, lr, weight_decay/,
    );
    expect(() => parse({ task: 'toy-mlp', data: { path: 'x.h5' } })).toThrow(
      /data\.path: unknown key \(allowed: train, validation, test, option, entries, stream, batch, split, eval_entries, prefetch\)/,
    );
  });

  it('names the key and the expected type or range of a bad value', () => {
    const cases: [unknown, RegExp][] = [
      [{ task: 3 }, /task: expected a string, got 3/],
      [{ task: 'mlp' }, /task: unknown task "mlp" \(one of: toy-mlp, /],
      [{}, /task: missing/],
      [{ task: 'toy-mlp', steps: 2.5 }, /steps: expected an integer ≥ 0, got 2\.5/],
      [{ task: 'toy-mlp', steps: '10' }, /steps: expected an integer ≥ 0, got "10"/],
      [{ task: 'toy-mlp', accumulate: 0 }, /accumulate: expected an integer ≥ 1, got 0/],
      [{ task: 'toy-mlp', config: { layers: 17 } }, /config\.layers: expected an integer ≥ 1 and ≤ 16, got 17/],
      [
        { task: 'toy-mlp', config: { activation: 'swish' } },
        /config\.activation: expected one of "relu", "gelu", "tanh", "sigmoid", got "swish"/,
      ],
      [{ task: 'toy-mlp', config: [] }, /config: expected an object, got an array/],
      [{ task: 'spanet', config: { logOutputs: 1 } }, /config\.logOutputs: expected true or false, got 1/],
      [{ task: 'spanet', config: { testFraction: 0.95 } }, /config\.testFraction: expected a number ≥ 0\.05 and ≤ 0\.9/],
      [{ task: 'toy-mlp', optimizer: { lr: 0 } }, /optimizer\.lr: expected a number > 0, got 0/],
      [{ task: 'toy-mlp', optimizer: { beta2: 1 } }, /optimizer\.beta2: expected a number ≥ 0 and < 1, got 1/],
      [{ task: 'toy-mlp', optimizer: { name: 'lion' } }, /optimizer\.name: expected one of "adamw", "adam", "sgd", got "lion"/],
      [{ task: 'toy-mlp', optimizer: { nesterov: 'yes' } }, /optimizer\.nesterov: expected true or false/],
      [{ task: 'toy-mlp', data: { train: null } }, /data\.train: expected a string, got null/],
      [{ task: 'toy-mlp', data: { entries: 0 } }, /data\.entries: expected an integer ≥ 1/],
      [[1], /RUN\.json: expected an object, got an array/],
    ];
    for (const [v, re] of cases) expect(() => parse(v), JSON.stringify(v)).toThrow(re);
  });

  it('accepts numeric select options as numbers or strings, as the form stores them', () => {
    expect(parse({ task: 'cosmic-uresnet', config: { filter_size_deepest: 5 } }).config.filter_size_deepest).toBe(5);
    expect(parse({ task: 'cosmic-uresnet', config: { filter_size_deepest: '7' } }).config.filter_size_deepest).toBe('7');
    expect(() => parse({ task: 'cosmic-uresnet', config: { filter_size_deepest: 4 } })).toThrow(
      /config\.filter_size_deepest: expected one of "1", "3", "5", "7", got 4/,
    );
  });

  it('treats seed and config.seed as one setting', () => {
    expect(parse({ task: 'toy-mlp', seed: 7 }).config.seed).toBe(7);
    expect(parse({ task: 'toy-mlp', config: { seed: 9 } }).seed).toBe(9);
    expect(() => parse({ task: 'toy-mlp', seed: 7, config: { seed: 9 } })).toThrow(/seed: 7 disagrees with config\.seed 9/);
  });

  it('round-trips through formatRunJson and reports JSON syntax errors with the source', () => {
    const rc = parse({
      task: 'deepsets',
      name: 'x',
      config: { pool: 'max' },
      optimizer: { clip_norm: 1 },
      data: { train: 'a.h5' },
      steps: 5,
    });
    expect(parseRunJson(formatRunJson(rc), TASKS)).toEqual(rc);
    expect(() => parseRunJson('{"task": "toy-mlp",}', TASKS, 'my.json')).toThrow(/^my\.json: not valid JSON/);
  });
});

describe('file options in RUN.json', () => {
  const layout = { features: ['/sets/x'], offsets: '/sets/offsets', mode: 'offsets' as const, sets: 10, targets: [] };
  const options: TrainingOption[] = [
    { taskId: 'deepsets', title: 'regress a', request: { kind: 'generic-sets', layout, target: '/sets/a', targetKind: 'regression' } },
    { taskId: 'deepsets', title: 'classify b', request: { kind: 'generic-sets', layout, target: '/sets/b', targetKind: 'classification' } },
    { taskId: 'oc-clustering', title: 'hits', request: { kind: 'larcv3-clusters', product: 'cluster2d', producer: 'seg', entries: 100 } },
  ];

  it('picks the only option of the task, or the one named by data.option', () => {
    expect(pickOption(options, { task: 'oc-clustering', data: {} }, 'f.h5')).toBe(options[2]);
    expect(optionId(options[1])).toBe('generic-sets:/sets/offsets:/sets/b');
    expect(pickOption(options, { task: 'deepsets', data: { option: 'generic-sets:/sets/offsets:/sets/b' } }, 'f.h5')).toBe(options[1]);
  });

  it('lists the choices when the option is ambiguous, unknown or for another task', () => {
    expect(() => pickOption(options, { task: 'deepsets', data: {} }, 'f.h5')).toThrow(
      /data\.option: f\.h5 offers 2 ways to train deepsets; choose one: "generic-sets:\/sets\/offsets:\/sets\/a" \(regress a\); "generic-sets/,
    );
    expect(() => pickOption(options, { task: 'deepsets', data: { option: 'nope' } }, 'f.h5')).toThrow(/f\.h5 has no option "nope"/);
    expect(() => pickOption(options, { task: 'deepsets', data: { option: 'larcv3-clusters:cluster2d/seg' } }, 'f.h5')).toThrow(
      /trains oc-clustering, not deepsets/,
    );
    expect(() => pickOption(options, { task: 'spanet', data: {} }, 'f.h5')).toThrow(/data\.train: f\.h5 cannot train spanet/);
  });

  it("lowers an option's entry cap to data.entries", () => {
    expect(capOption(options[2], 7).request).toMatchObject({ entries: 7 });
    expect(capOption(options[2], 1000).request).toMatchObject({ entries: 100 });
    expect(() => capOption(options[0], 5)).toThrow(/takes no entry cap/);
  });
});
