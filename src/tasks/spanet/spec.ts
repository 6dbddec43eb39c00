// Plain data about the task (no engine imports): the page's catalogue shows it and task.ts builds on it.
import type { TaskSpec } from '../types';

export interface SpanetConfig extends Record<string, number | string | boolean> {
  /** 'spanet-v2': upstream's JetReconstructionNetwork and training loss; 'simple': the workbench's small model (src/nn/spanet.ts) */
  model: string;
  /** spanet-v2 without an options file: num_branch_embedding_layers and num_branch_encoder_layers */
  branchLayers: number;
  /** upstream's dataset_limit: the fraction of the file's events used (train + validation) */
  datasetLimit: number;
  demoEvents: number;
  maxJets: number;
  testFraction: number;
  evalEvents: number;
  batchSize: number;
  width: number;
  layers: number;
  heads: number;
  assignDim: number;
  seed: number;
  assignmentScale: number;
  detectionScale: number;
  regressionScale: number;
  classificationScale: number;
  logOutputs: boolean;
  /** ONNX takes raw features and applies log(x + 1) itself (upstream's --input-log-transform) */
  onnxInputLogTransform: boolean;
  /** 'upstream' = SPANet v2's training loss (permuted targets, log|G|, per-particle means, mean of terms) */
  loss: string;
  /** new random batches of the training events every epoch (upstream's shuffled DataLoader with drop_last) */
  shuffle: boolean;
  focalGamma: number;
  /** upstream's combine_pair_loss: min, mean or softmin */
  combinePairLoss: string;
  /** SPANet event file (YAML); empty = inferred from the data file (or the demo's own). */
  eventYaml: string;
  /** SPANet options file (JSON, upstream's names); empty = the fields above. */
  optionsJson: string;
  /** upstream options (JSON object) applied over the options file, or over the fields when there is none */
  optionsOverrides: string;
  /** with an options file: train with its optimiser and lr schedule, replacing the optimiser settings (schedule.ts) */
  optionsOptimizer: boolean;
  /** upstream's dataset_randomization: > 0 seeds numpy's RandomState permutation of the events before the split (split.ts) */
  datasetRandomization: number;
}

export const SPANET_DEFAULTS: SpanetConfig = {
  model: 'spanet-v2',
  branchLayers: 1,
  datasetLimit: 1,
  demoEvents: 2048,
  maxJets: 8,
  testFraction: 0.2,
  evalEvents: 256,
  batchSize: 16,
  width: 32,
  layers: 2,
  heads: 4,
  assignDim: 16,
  seed: 1,
  assignmentScale: 1,
  detectionScale: 1,
  regressionScale: 1,
  classificationScale: 1,
  logOutputs: false,
  onnxInputLogTransform: false,
  loss: 'workbench',
  shuffle: false,
  focalGamma: 0,
  combinePairLoss: 'min',
  eventYaml: '',
  optionsJson: '',
  optionsOverrides: '',
  optionsOptimizer: true,
  datasetRandomization: 0,
};

export const spanetSpec: TaskSpec<SpanetConfig> = {
  id: 'spanet',
  label: 'SPANet jet-parton assignment',
  description:
    "Symmetry-preserving attention network (upstream SPANet v2's network and loss): embeddings, a gated transformer over jets and " +
    'per-particle branches with split symmetric attention assign jets to decay products (t → b q q), with detection, regression and ' +
    'classification heads. Loads SPANet options files. Demo data: synthetic fully hadronic tt̄.',
  defaults: SPANET_DEFAULTS,
  fields: [
    {
      key: 'model',
      label: 'model',
      kind: 'select',
      options: ['spanet-v2', 'simple'],
      help:
        "spanet-v2: upstream SPANet v2's network (every architecture option of its options file) and training loss; " +
        "simple: the workbench's small transformer + one symmetric tensor per particle",
    },
    { key: 'demoEvents', label: 'demo events (synthetic tt̄)', kind: 'int', min: 64, max: 200_000, hideWhenFile: true },
    { key: 'maxJets', label: 'demo jet slots', kind: 'int', min: 6, max: 20, hideWhenFile: true },
    { key: 'testFraction', label: 'test fraction', kind: 'number', min: 0.05, max: 0.9, step: 0.05 },
    { key: 'datasetLimit', label: 'fraction of the events used', kind: 'number', min: 0.01, max: 1, step: 0.05 },
    {
      key: 'datasetRandomization',
      label: 'event permutation seed before the split (0 = file order)',
      kind: 'int',
      min: 0,
      max: 4294967295,
      help: "upstream's dataset_randomization: numpy.random.RandomState(seed).permutation of the events, then the train / test ranges (each kept in file order)",
    },
    { key: 'evalEvents', label: 'events per evaluation', kind: 'int', min: 16, max: 100_000 },
    { key: 'batchSize', label: 'batch size', kind: 'int', min: 1, max: 4096 },
    { key: 'width', label: 'hidden width', kind: 'int', min: 8, max: 512 },
    { key: 'layers', label: 'transformer layers', kind: 'int', min: 0, max: 16 },
    { key: 'heads', label: 'attention heads', kind: 'int', min: 1, max: 16 },
    { key: 'branchLayers', label: 'branch layers per particle (spanet-v2)', kind: 'int', min: 0, max: 8 },
    { key: 'assignDim', label: 'tensor attention width (simple)', kind: 'int', min: 2, max: 64, help: 'rank-3 weights have this³ entries' },
    { key: 'assignmentScale', label: 'assignment loss scale', kind: 'number', min: 0 },
    { key: 'detectionScale', label: 'detection loss scale', kind: 'number', min: 0 },
    { key: 'regressionScale', label: 'regression loss scale', kind: 'number', min: 0 },
    { key: 'classificationScale', label: 'classification loss scale', kind: 'number', min: 0 },
    {
      key: 'loss',
      label: 'loss',
      kind: 'select',
      options: ['workbench', 'upstream'],
      help: "upstream: SPANet v2's loss (set by an options file); workbench: summed assignment NLL, detection and regression means",
    },
    { key: 'shuffle', label: 'shuffle the training events every epoch', kind: 'bool' },
    { key: 'focalGamma', label: 'focal gamma (upstream loss)', kind: 'number', min: 0, max: 10 },
    { key: 'combinePairLoss', label: 'combine permutations (upstream loss)', kind: 'select', options: ['min', 'mean', 'softmin'] },
    { key: 'onnxInputLogTransform', label: 'ONNX: input log transform (raw features in)', kind: 'bool' },
    { key: 'logOutputs', label: 'ONNX: log-probability outputs', kind: 'bool' },
    { key: 'seed', label: 'seed', kind: 'int', min: 0 },
    {
      key: 'eventYaml',
      label: 'event description (SPANet YAML)',
      kind: 'text',
      help: 'INPUTS, EVENT, PERMUTATIONS, REGRESSIONS, CLASSIFICATIONS as in SPANet event files; leave empty to infer it from the data file',
    },
    {
      key: 'optionsJson',
      label: 'options file (SPANet JSON)',
      kind: 'text',
      help:
        "upstream's options JSON (e.g. options_files/*/example.json); its hidden_dim, num_encoder_layers, num_attention_heads, batch_size, " +
        'train_validation_split and loss scales replace the fields above; unknown and not-yet-used options are listed with the data',
    },
    {
      key: 'optionsOverrides',
      label: 'options overrides (JSON)',
      kind: 'text',
      help: 'upstream options applied over the options file (e.g. {"hidden_dim": 16} for a quick run), or over the fields when there is none',
    },
    {
      key: 'optionsOptimizer',
      label: "train with the options file's optimiser and lr schedule",
      kind: 'bool',
      help:
        "on: the options file's optimizer, learning_rate, l2_penalty, gradient_clip, warm-up, cycles and epochs replace the optimiser settings " +
        '(change them with options overrides, e.g. {"learning_rate": 0.001}); off: the optimiser settings apply',
    },
  ],
  optimizer: { lr: 2e-3 },
};
