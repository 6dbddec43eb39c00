import { describe, expect, it } from 'vitest';
import { applyOptions, defaultOptions, readOptionsJson, UPSTREAM_OPTIONS } from '../../src/tasks/spanet/options';
import { SPANET_DEFAULTS } from '../../src/tasks/spanet/spec';

// Written for this test in the shape of upstream's options_files/*/example.json.
const EXAMPLE = JSON.stringify({
  hidden_dim: 64,
  transformer_dim: 64,
  num_encoder_layers: 6,
  num_branch_encoder_layers: 3,
  split_symmetric_attention: true,
  num_attention_heads: 4,
  linear_block_type: 'GRU',
  transformer_type: 'Gated',
  linear_activation: 'gelu',
  normalization: 'LayerNorm',
  masking: 'Filling',
  event_info_file: './event_files/x.yaml',
  training_file: './data/x.h5',
  partial_events: true,
  balance_particles: true,
  train_validation_split: 0.95,
  batch_size: 32,
  combine_pair_loss: 'min',
  learning_rate: 0.0015,
  learning_rate_cycles: 1,
  detection_loss_scale: 1.0,
  l2_penalty: 0.0002,
  epochs: 500,
});

describe("SPANet's options file", () => {
  it("has upstream's names and defaults", () => {
    const d = defaultOptions();
    expect(UPSTREAM_OPTIONS).toHaveLength(63);
    expect(d).toMatchObject({
      hidden_dim: 128,
      transformer_type: 'Gated',
      linear_block_type: 'GRU',
      split_symmetric_attention: true,
      combine_pair_loss: 'min',
      train_validation_split: 0.95,
      batch_size: 4096,
      detection_loss_scale: 0,
      partial_events: false,
    });
    expect(new Set(UPSTREAM_OPTIONS.map((x) => x.name)).size).toBe(UPSTREAM_OPTIONS.length);
  });
  it('reads an example file: choices case-insensitive to their spelling, nothing unknown', () => {
    const r = readOptionsJson(EXAMPLE);
    expect(r.unknown).toEqual([]);
    expect(r.options.linear_activation).toBe('GELU');
    expect(r.options.hidden_dim).toBe(64);
    expect(r.changed).toContain('learning_rate_cycles');
  });
  it('reports unknown options by name and refuses wrong values naming the option', () => {
    expect(readOptionsJson('{"hidden_dims": 3, "foo": 1}').unknown).toEqual(['hidden_dims', 'foo']);
    expect(() => readOptionsJson('{"hidden_dim": 3.5}')).toThrow(/hidden_dim is 3.5, expected an integer/);
    expect(() => readOptionsJson('{"transformer_type": "Fancy"}')).toThrow(/transformer_type .* one of Standard, NormFirst, Gated/);
    expect(() => readOptionsJson('[1]')).toThrow(/JSON object/);
    expect(() => readOptionsJson('{')).toThrow(/not JSON/);
  });
  it('spanet-v2 (the default) takes every architecture option; what it does not use is named', () => {
    const a = applyOptions(SPANET_DEFAULTS, EXAMPLE);
    expect(a.notUsed).not.toContain('num_branch_encoder_layers');
    expect(a.notUsed).not.toContain('hidden_dim');
    // spanet-v2's loss balances as upstream's (balance.ts)
    expect(a.notUsed).not.toContain('balance_particles');
  });

  it('sets what the simple model takes and lists what it does not use yet', () => {
    const a = applyOptions({ ...SPANET_DEFAULTS, model: 'simple' }, EXAMPLE);
    expect(a.config).toMatchObject({ width: 64, layers: 6, heads: 4, batchSize: 32, detectionScale: 1 });
    expect(a.config.testFraction).toBeCloseTo(0.05, 12);
    expect(a.learningRate).toBe(0.0015);
    expect(a.notUsed).toContain('num_branch_encoder_layers');
    expect(a.notUsed).toContain('balance_particles');
    expect(a.notUsed).not.toContain('hidden_dim');
  });
});
