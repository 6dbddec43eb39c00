/**
 * SPANet's options file (spanet/options.py): every option with upstream's name, type and
 * default, read from upstream's options JSON with upstream's coercion (update_options), and
 * the part of it the workbench's SPANet model takes today. Unknown keys are reported by name.
 */
import type { SpanetConfig } from './spec';

export type OptionType = 'int' | 'float' | 'bool' | 'str';
export type OptionGroup = 'architecture' | 'dataset' | 'training' | 'misc';
export interface OptionSpec {
  name: string;
  type: OptionType;
  default: number | boolean | string;
  group: OptionGroup;
  choices?: string[];
}

const o = (name: string, type: OptionType, d: number | boolean | string, group: OptionGroup, choices?: string[]): OptionSpec => ({
  name,
  type,
  default: d,
  group,
  choices,
});

/** In upstream's order (options.py at Alexanders101/SPANet 46c6805). */
export const UPSTREAM_OPTIONS: OptionSpec[] = [
  o('hidden_dim', 'int', 128, 'architecture'),
  o('transformer_dim', 'int', 128, 'architecture'),
  o('transformer_dim_scale', 'float', 2.0, 'architecture'),
  o('initial_embedding_dim', 'int', 16, 'architecture'),
  o('position_embedding_dim', 'int', 32, 'architecture'),
  o('num_embedding_layers', 'int', 10, 'architecture'),
  o('num_encoder_layers', 'int', 4, 'architecture'),
  o('num_branch_embedding_layers', 'int', 4, 'architecture'),
  o('num_branch_encoder_layers', 'int', 4, 'architecture'),
  o('num_jet_embedding_layers', 'int', 0, 'architecture'),
  o('num_jet_encoder_layers', 'int', 0, 'architecture'),
  o('num_detector_layers', 'int', 1, 'architecture'),
  o('num_regression_layers', 'int', 1, 'architecture'),
  o('num_classification_layers', 'int', 1, 'architecture'),
  o('split_symmetric_attention', 'bool', true, 'architecture'),
  o('num_attention_heads', 'int', 4, 'architecture'),
  o('transformer_activation', 'str', 'gelu', 'architecture', ['relu', 'gelu']),
  o('skip_connections', 'bool', true, 'architecture'),
  o('initial_embedding_skip_connections', 'bool', true, 'architecture'),
  o('linear_block_type', 'str', 'GRU', 'architecture', ['Basic', 'Resnet', 'Gated', 'GRU']),
  o('transformer_type', 'str', 'Gated', 'architecture', ['Standard', 'NormFirst', 'Gated']),
  o('linear_activation', 'str', 'GELU', 'architecture', ['None', 'ReLU', 'PReLU', 'ELU', 'GELU']),
  o('normalization', 'str', 'LayerNorm', 'architecture', ['None', 'BatchNorm', 'LayerNorm', 'MaskedBatchNorm']),
  o('masking', 'str', 'Filling', 'architecture', ['None', 'Multiplicative', 'Filling']),
  o('linear_prelu_activation', 'bool', true, 'architecture'),
  o('event_info_file', 'str', '', 'dataset'),
  o('training_file', 'str', '', 'dataset'),
  o('validation_file', 'str', '', 'dataset'),
  o('testing_file', 'str', '', 'dataset'),
  o('normalize_features', 'bool', true, 'dataset'),
  o('limit_to_num_jets', 'int', 0, 'dataset'),
  o('balance_particles', 'bool', false, 'dataset'),
  o('balance_jets', 'bool', false, 'dataset'),
  o('balance_classifications', 'bool', false, 'dataset'),
  o('partial_events', 'bool', false, 'dataset'),
  o('dataset_limit', 'float', 1.0, 'dataset'),
  o('dataset_randomization', 'int', 0, 'dataset'),
  o('train_validation_split', 'float', 0.95, 'dataset'),
  o('batch_size', 'int', 4096, 'dataset'),
  o('num_dataloader_workers', 'int', 4, 'dataset'),
  o('mask_sequence_vectors', 'bool', true, 'training'),
  o('combine_pair_loss', 'str', 'min', 'training', ['None', 'min', 'softmin', 'mean']),
  o('optimizer', 'str', 'AdamW', 'training'),
  o('learning_rate', 'float', 0.001, 'training'),
  o('focal_gamma', 'float', 0.0, 'training'),
  o('combinatorial_scale', 'float', 0.0, 'training'),
  o('learning_rate_warmup_epochs', 'float', 1.0, 'training'),
  o('learning_rate_cycles', 'int', 0, 'training'),
  o('assignment_loss_scale', 'float', 1.0, 'training'),
  o('detection_loss_scale', 'float', 0.0, 'training'),
  o('kl_loss_scale', 'float', 0.0, 'training'),
  o('regression_loss_scale', 'float', 0.0, 'training'),
  o('classification_loss_scale', 'float', 0.0, 'training'),
  o('balance_losses', 'bool', true, 'training'),
  o('l2_penalty', 'float', 0.0, 'training'),
  o('gradient_clip', 'float', 0.0, 'training'),
  o('dropout', 'float', 0.0, 'training'),
  o('epochs', 'int', 100, 'training'),
  o('num_gpu', 'int', 1, 'training'),
  o('verbose_output', 'bool', true, 'misc'),
  o('usable_gpus', 'str', '', 'misc'),
  o('trial_time', 'str', '', 'misc'),
  o('trial_output_dir', 'str', './test_output', 'misc'),
];

export type SpanetOptions = Record<string, number | boolean | string>;

export function defaultOptions(): SpanetOptions {
  return Object.fromEntries(UPSTREAM_OPTIONS.map((x) => [x.name, x.default]));
}

export class OptionsFileError extends Error {}

export interface ReadOptions {
  options: SpanetOptions;
  unknown: string[];
  changed: string[];
}

/**
 * Upstream's update_options: int options take int(value), bool options bool(value), the rest
 * as given. Values Python would refuse or silently mangle (a string for a number, a fraction
 * for an int, a choice upstream does not know) are errors naming the option; unknown keys are
 * returned by name (upstream stores them silently).
 */
export function readOptionsJson(text: string): ReadOptions {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new OptionsFileError(`options file: not JSON (${(e as Error).message})`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw new OptionsFileError('options file: expected a JSON object of option: value');
  const options = defaultOptions();
  const unknown: string[] = [],
    changed: string[] = [];
  const byName = new Map(UPSTREAM_OPTIONS.map((x) => [x.name, x]));
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    const spec = byName.get(k);
    if (!spec) {
      unknown.push(k);
      continue;
    }
    const bad = (want: string) => new OptionsFileError(`options file: ${k} is ${JSON.stringify(v)}, expected ${want}`);
    let value: number | boolean | string;
    if (spec.type === 'int') {
      if (typeof v === 'boolean') value = v ? 1 : 0;
      else if (typeof v === 'number' && Number.isInteger(v)) value = v;
      else throw bad('an integer');
    } else if (spec.type === 'bool') {
      if (typeof v === 'boolean') value = v;
      else if (v === 0 || v === 1) value = v === 1;
      else throw bad('true or false');
    } else if (spec.type === 'float') {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw bad('a number');
      value = v;
    } else {
      if (v === null && spec.choices?.includes('None')) value = 'None';
      else if (typeof v !== 'string') throw bad('a string');
      else value = v;
      const choice = spec.choices?.find((c) => c.toLowerCase() === String(value).toLowerCase());
      if (spec.choices && !choice) throw bad(`one of ${spec.choices.join(', ')}`);
      if (choice) value = choice;
    }
    options[k] = value;
    if (value !== spec.default) changed.push(k);
  }
  return { options, unknown, changed };
}

/** Options the workbench's SPANet model and task take, with the config key each sets. */
const TAKEN: Record<string, keyof SpanetConfig> = {
  hidden_dim: 'width',
  num_encoder_layers: 'layers',
  num_attention_heads: 'heads',
  batch_size: 'batchSize',
  assignment_loss_scale: 'assignmentScale',
  detection_loss_scale: 'detectionScale',
  regression_loss_scale: 'regressionScale',
  classification_loss_scale: 'classificationScale',
};

export interface OptionsApplied {
  config: SpanetConfig;
  options: SpanetOptions;
  /** options that differ from upstream's defaults but the workbench does not act on yet */
  notUsed: string[];
  unknown: string[];
  learningRate: number;
}

/** Options the spanet-v2 model takes besides TAKEN and the training options (upstream's network reads them). */
const NETWORK_OPTIONS = new Set([
  ...UPSTREAM_OPTIONS.filter((x) => x.group === 'architecture').map((x) => x.name),
  'normalize_features',
  'mask_sequence_vectors',
  'dropout', // upstream's dropout in the linear blocks and transformers (src/nn/spanetUpstream/dropout.ts)
]);

/** The options file's JSON object with the overrides' keys replacing its own (both checked as options files). */
export function mergeOptionsText(file: string, overrides: string): string {
  const parse = (t: string, what: string) => {
    if (!t.trim()) return {};
    readOptionsJson(t); // type errors name the option
    try {
      return JSON.parse(t) as Record<string, unknown>;
    } catch {
      throw new OptionsFileError(`${what}: not JSON`);
    }
  };
  return JSON.stringify({ ...parse(file, 'options file'), ...parse(overrides, 'options overrides') });
}

/** spanet-v2 without an options file: upstream's defaults sized by the form's fields, then the overrides. */
export function fieldOptions(config: SpanetConfig): SpanetOptions {
  const base = {
    ...defaultOptions(),
    hidden_dim: config.width,
    transformer_dim: config.width,
    num_encoder_layers: config.layers,
    num_attention_heads: config.heads,
    num_branch_embedding_layers: config.branchLayers,
    num_branch_encoder_layers: config.branchLayers,
  };
  if (!config.optionsOverrides.trim()) return base;
  const { options, unknown } = readOptionsJson(mergeOptionsText(JSON.stringify(base), config.optionsOverrides));
  if (unknown.length) throw new OptionsFileError(`options overrides: unknown options ${unknown.join(', ')}`);
  return options;
}

/** A task config with the options file's values where the workbench's model takes them. */
export function applyOptions(config: SpanetConfig, text: string): OptionsApplied {
  const { options, unknown, changed } = readOptionsJson(text);
  const next = { ...config };
  for (const [name, key] of Object.entries(TAKEN)) (next as Record<string, unknown>)[key] = options[name];
  next.testFraction = Math.min(0.9, Math.max(0.05, 1 - Number(options.train_validation_split)));
  next.datasetLimit = Math.min(1, Math.max(0.01, Number(options.dataset_limit)));
  next.datasetRandomization = Math.max(0, Number(options.dataset_randomization)); // ≤ 0: file order, as upstream; > 0: split.ts
  // an options file means upstream's training semantics
  next.loss = 'upstream';
  next.shuffle = true; // upstream's training DataLoader shuffles every epoch
  next.focalGamma = Number(options.focal_gamma);
  const combine = String(options.combine_pair_loss).toLowerCase();
  next.combinePairLoss = combine === 'none' ? 'min' : combine; // upstream's None falls through to min
  // learning rate, schedule, decay and clipping are reported as optimiser settings (schedule.ts)
  const used = new Set([
    ...Object.keys(TAKEN),
    'train_validation_split',
    'learning_rate',
    'event_info_file',
    'training_file',
    'focal_gamma',
    'combine_pair_loss',
    'partial_events',
    'epochs',
    'learning_rate_warmup_epochs',
    'learning_rate_cycles',
    'l2_penalty',
    'gradient_clip',
    'optimizer',
    'dataset_limit',
    'dataset_randomization',
    ...(config.model === 'simple' ? [] : NETWORK_OPTIONS),
    // spanet-v2's loss takes them (balance.ts, upstreamLossGpu.ts); the simple model's does not
    ...(config.model === 'simple' ? [] : ['balance_particles', 'balance_jets', 'balance_classifications', 'kl_loss_scale']),
  ]);
  const notUsed = changed.filter((k) => !used.has(k));
  // the workbench always trains on partial events (upstream's partial_events true)
  if (options.partial_events === false) notUsed.push('partial_events (false: full events only is not supported yet)');
  return { config: next, options, notUsed, unknown, learningRate: Number(options.learning_rate) };
}
