// Plain data about the task (no engine imports): the page's catalogue shows it and task.ts builds on it.
import { SMALL_URESNET, UPSTREAM_URESNET, type CosmicNetworkConfig } from '../../nn/cosmicUResNetConfig';
import type { TaskSpec } from '../types';

/**
 * Data and loss options in our names; the network under CosmicTagger's option names
 * (src/config/network.py). `network` picks a preset: "small" (the default here: same layer
 * types, tiny, for quick runs), "uresnet" (upstream's UResNet, the README network) or
 * "custom" (the fields below, whose defaults are upstream's).
 */
export interface CosmicConfig extends Record<string, number | string | boolean> {
  trainEvents: number;
  testEvents: number;
  imageSize: number;
  downsample: number;
  batchSize: number;
  network: string;
  bias: boolean;
  normalization: string;
  n_initial_filters: number;
  blocks_per_layer: number;
  blocks_deepest_layer: number;
  blocks_final: number;
  depth: number;
  filter_size_deepest: string;
  bottleneck_deepest: number;
  residual: boolean;
  block_concat: boolean;
  connections: string;
  growth_rate: string;
  downsampling: string;
  upsampling: string;
  /** ours, not upstream's: activation checkpointing (src/tensor/checkpoint.ts) */
  checkpoint: boolean;
  balance: string;
  nonbg_empty: string;
  seed: number;
}

export const NETWORK_PRESETS = ['small', 'uresnet', 'custom'] as const;

/** The network of a task config: the preset's, or the custom fields. */
export function networkConfig(c: CosmicConfig): CosmicNetworkConfig {
  if (c.network === 'small') return { ...SMALL_URESNET, checkpoint: c.checkpoint };
  if (c.network === 'uresnet') return { ...UPSTREAM_URESNET, checkpoint: c.checkpoint };
  if (c.network !== 'custom') throw new Error(`network must be one of ${NETWORK_PRESETS.join(', ')}, got "${c.network}"`);
  return {
    bias: c.bias,
    normalization: c.normalization as CosmicNetworkConfig['normalization'],
    n_initial_filters: c.n_initial_filters,
    blocks_per_layer: c.blocks_per_layer,
    blocks_deepest_layer: c.blocks_deepest_layer,
    blocks_final: c.blocks_final,
    depth: c.depth,
    filter_size_deepest: Number(c.filter_size_deepest),
    bottleneck_deepest: c.bottleneck_deepest,
    residual: c.residual,
    block_concat: c.block_concat,
    connections: c.connections as CosmicNetworkConfig['connections'],
    growth_rate: c.growth_rate as CosmicNetworkConfig['growth_rate'],
    downsampling: c.downsampling as CosmicNetworkConfig['downsampling'],
    upsampling: c.upsampling as CosmicNetworkConfig['upsampling'],
    checkpoint: c.checkpoint,
  };
}

const U = UPSTREAM_URESNET;
const custom = 'used when network = custom';

export const cosmicTaggingSpec: TaskSpec<CosmicConfig> = {
  id: 'cosmic-uresnet',
  label: 'Cosmic tagging: U-ResNet segmentation (CosmicTagger)',
  description:
    "Per-pixel background / cosmic / neutrino segmentation of 3 wire planes [time × wire] with CosmicTagger's UResNet (same modules, state-dict names, batch norm, bilinear upsampling, leaky ReLU); the planes share weights and meet at the deepest layer. " +
    'Trains on a loaded larcv3 file (planes data) or on built-in synthetic events; reports accuracy, non-background accuracy, cosmic and neutrino IoU.',
  defaults: {
    trainEvents: 64,
    testEvents: 16,
    imageSize: 64,
    downsample: 1,
    batchSize: 2,
    network: 'small',
    bias: U.bias,
    normalization: U.normalization,
    n_initial_filters: U.n_initial_filters,
    blocks_per_layer: U.blocks_per_layer,
    blocks_deepest_layer: U.blocks_deepest_layer,
    blocks_final: U.blocks_final,
    depth: U.depth,
    filter_size_deepest: String(U.filter_size_deepest),
    bottleneck_deepest: U.bottleneck_deepest,
    residual: U.residual,
    block_concat: U.block_concat,
    connections: U.connections,
    growth_rate: U.growth_rate,
    downsampling: U.downsampling,
    upsampling: U.upsampling,
    checkpoint: false,
    balance: 'focal',
    nonbg_empty: 'skip',
    seed: 1,
  },
  fields: [
    {
      key: 'trainEvents',
      label: 'synthetic training events',
      kind: 'int',
      min: 1,
      max: 100_000,
      hideWhenFile: true,
      help: 'ignored when a larcv3 file is loaded (80% of its entries train)',
    },
    { key: 'testEvents', label: 'synthetic test events', kind: 'int', min: 1, max: 10_000, hideWhenFile: true },
    { key: 'imageSize', label: 'synthetic image side (px)', kind: 'int', min: 8, max: 2048, hideWhenFile: true },
    { key: 'downsample', label: 'downsample images by 2^k', kind: 'int', min: 0, max: 6 },
    { key: 'batchSize', label: 'events per batch', kind: 'int', min: 1, max: 64 },
    {
      key: 'network',
      label: 'network',
      kind: 'select',
      options: [...NETWORK_PRESETS],
      help: 'small: same layer types as CosmicTagger, tiny; uresnet: CosmicTagger UResNet defaults (18.4 M parameters, sides divisible by 64); custom: the options below',
    },
    { key: 'depth', label: 'depth', kind: 'int', min: 0, max: 8, help: custom },
    { key: 'n_initial_filters', label: 'n_initial_filters', kind: 'int', min: 1, max: 128, help: custom },
    { key: 'blocks_per_layer', label: 'blocks_per_layer', kind: 'int', min: 0, max: 8, help: custom },
    { key: 'blocks_deepest_layer', label: 'blocks_deepest_layer', kind: 'int', min: 0, max: 8, help: custom },
    { key: 'blocks_final', label: 'blocks_final', kind: 'int', min: 0, max: 8, help: custom },
    { key: 'bottleneck_deepest', label: 'bottleneck_deepest', kind: 'int', min: 1, max: 1024, help: custom },
    { key: 'filter_size_deepest', label: 'filter_size_deepest', kind: 'select', options: ['1', '3', '5', '7'], help: custom },
    { key: 'residual', label: 'residual', kind: 'bool', help: custom },
    {
      key: 'block_concat',
      label: 'block_concat',
      kind: 'bool',
      help: 'true: each plane through the deepest block alone; false: planes joined on channels (upstream default)',
    },
    { key: 'connections', label: 'connections', kind: 'select', options: ['concat', 'sum', 'none'], help: custom },
    { key: 'growth_rate', label: 'growth_rate', kind: 'select', options: ['additive', 'multiplicative'], help: custom },
    { key: 'downsampling', label: 'downsampling', kind: 'select', options: ['max_pooling', 'convolutional'], help: custom },
    {
      key: 'upsampling',
      label: 'upsampling',
      kind: 'select',
      options: ['interpolation', 'convolutional'],
      help: 'interpolation: bilinear ×2, align_corners=False; convolutional: 2×2 transposed conv',
    },
    {
      key: 'checkpoint',
      label: 'activation checkpointing (ours)',
      kind: 'bool',
      help: 'not an upstream option: backward re-runs each level instead of keeping its activations; same gradients, about 1.5× the step time, needed for full resolution (BENCHMARKS.md)',
    },
    {
      key: 'normalization',
      label: 'normalization',
      kind: 'select',
      options: ['batch', 'none'],
      help: 'batch norm with running statistics (eval mode uses them), as upstream',
    },
    { key: 'bias', label: 'bias', kind: 'bool', help: custom },
    {
      key: 'balance',
      label: 'loss balance',
      kind: 'select',
      options: ['none', 'light', 'even', 'focal'],
      help: 'CosmicTagger loss_balance_scheme (default focal, as upstream): none = mean cross-entropy; light = weights 1 / 1.5 / 10; even = 1 / (count + 1) per plane and batch; focal = (1 − p_true)², held constant in the gradient',
    },
    {
      key: 'nonbg_empty',
      label: 'non-background accuracy of an image without labelled pixels',
      kind: 'select',
      options: ['skip', 'nan'],
      help: 'skip: left out of the mean (ours); nan: 0/0 = NaN makes the plane and Average/Non_Bkg_Accuracy NaN, as CosmicTagger',
    },
    { key: 'seed', label: 'seed', kind: 'int', min: 0 },
  ],
  optimizer: { lr: 2e-3 },
};
