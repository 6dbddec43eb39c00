import { beforeAll, describe, expect, it } from 'vitest';
import { SPANET_DEFAULTS, spanetTask } from '../../src/tasks/spanet/task';
import { TTBAR_EVENT_YAML } from '../../src/tasks/spanet/synthetic';
import { applyOptions } from '../../src/tasks/spanet/options';
import type { Engine } from '../../src/tensor/engine';
import { testEngine } from '../helpers/engine';

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

const tiny = {
  ...SPANET_DEFAULTS,
  model: 'simple',
  demoEvents: 64,
  evalEvents: 16,
  batchSize: 8,
  width: 8,
  heads: 1,
  layers: 0,
  assignDim: 2,
};

describe('event description edited in the UI (config eventYaml)', () => {
  it('is used instead of the built-in one: dropping the t1 ↔ t2 permutation shrinks the event group', async () => {
    const withPerm = (await spanetTask.create(e, tiny)) as import('../../src/tasks/spanet/task').SpanetRun;
    expect(withPerm.spec.eventPerms).toHaveLength(2);
    withPerm.dispose();
    const yaml = TTBAR_EVENT_YAML.replace('    - [ t1, t2 ]\n', '');
    expect(yaml).not.toBe(TTBAR_EVENT_YAML);
    const run = (await spanetTask.create(e, { ...tiny, eventYaml: yaml })) as import('../../src/tasks/spanet/task').SpanetRun;
    expect(run.spec.eventPerms).toHaveLength(1);
    run.dispose();
  });

  it('a YAML naming a feature the data lacks is refused with the feature named', async () => {
    const bad = TTBAR_EVENT_YAML.replace(/\bbtag\b/, 'no_such_feature');
    expect(bad).not.toBe(TTBAR_EVENT_YAML);
    await expect(async () => spanetTask.create(e, { ...tiny, eventYaml: bad })).rejects.toThrow(/no_such_feature/);
  });
});

describe('options file in the config (optionsJson)', () => {
  it("sets the model from upstream's option names and lists unknown and unused ones", async () => {
    const json = JSON.stringify({
      hidden_dim: 12,
      num_encoder_layers: 1,
      num_attention_heads: 2,
      batch_size: 4,
      train_validation_split: 0.75,
      detection_loss_scale: 0.5,
      num_branch_encoder_layers: 2,
      not_an_option: 1,
    });
    const run = (await spanetTask.create(e, { ...tiny, optionsJson: json })) as import('../../src/tasks/spanet/task').SpanetRun;
    expect(run.config).toMatchObject({ width: 12, layers: 1, heads: 2, batchSize: 4, detectionScale: 0.5, testFraction: 0.25 });
    expect(run.describe()).toMatch(/unknown options not_an_option/);
    expect(run.describe()).toMatch(/upstream schedule \d+ warm-up of \d+ steps/);
    expect(run.describe()).toMatch(/not used by this model yet: num_branch_encoder_layers/);
    run.dispose();
    await expect(async () => spanetTask.create(e, { ...tiny, optionsJson: '{"hidden_dim": "big"}' })).rejects.toThrow(
      /hidden_dim is "big"/,
    );
  });
});

describe("training with upstream's loss (config loss: upstream)", () => {
  it('reports per-particle terms, and the loss is their mean with the other active terms', async () => {
    const run = (await spanetTask.create(e, {
      ...tiny,
      loss: 'upstream',
      combinePairLoss: 'softmin',
      focalGamma: 1,
      regressionScale: 0,
      classificationScale: 0,
    })) as import('../../src/tasks/spanet/task').SpanetRun;
    try {
      const p = await run.predict(run.train[0]);
      const t = p.terms;
      expect(Object.keys(t)).toEqual(expect.arrayContaining(['assignment t1', 'assignment t2', 'detection t1', 'detection t2']));
      for (const k of ['assignment t1', 'assignment t2', 'detection t1', 'detection t2']) expect(Number.isFinite(t[k])).toBe(true);
      const { loss } = run.trainStep(0);
      const mean = (t['assignment t1'] + t['assignment t2'] + t['detection t1'] + t['detection t2']) / 4;
      expect(Math.abs((await loss.read())[0] - mean)).toBeLessThanOrEqual(1e-5 * Math.abs(mean));
    } finally {
      run.dispose();
    }
  });

  it('an options file switches to it with its focal_gamma and combine_pair_loss', () => {
    const a = applyOptions(SPANET_DEFAULTS, '{"focal_gamma": 2, "combine_pair_loss": "softmin", "partial_events": false}');
    expect(a.config).toMatchObject({ loss: 'upstream', focalGamma: 2, combinePairLoss: 'softmin' });
    expect(a.notUsed.join(' ')).toMatch(/partial_events \(false/);
  });
});
