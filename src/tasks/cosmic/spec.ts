// Plain data about the task (no engine imports): the page's catalogue shows it and task.ts builds on it.
import type { TaskSpec } from '../types';

export interface CosmicConfig extends Record<string, number | string | boolean> {
  trainEvents: number;
  testEvents: number;
  imageSize: number;
  downsample: number;
  batchSize: number;
  depth: number;
  filters: number;
  blocksPerLayer: number;
  blocksDeepest: number;
  blocksFinal: number;
  bottleneckDeepest: number;
  filterSizeDeepest: number;
  residual: boolean;
  connections: string;
  growth: string;
  downsampling: string;
  normalization: string;
  joinPlanes: boolean;
  balance: string;
  seed: number;
}

export const cosmicTaggingSpec: TaskSpec<CosmicConfig> = {
  id: 'cosmic-uresnet',
  label: 'Cosmic tagging: U-ResNet segmentation (CosmicTagger)',
  description:
    'Per-pixel background / cosmic / neutrino segmentation of 3 wire planes with a U-ResNet whose planes share weights and meet at the deepest layer. ' +
    'Trains on a loaded larcv3 file (planes data) or on built-in synthetic events; reports accuracy, non-background accuracy, cosmic and neutrino IoU.',
  defaults: {
    trainEvents: 64, testEvents: 16, imageSize: 64, downsample: 1, batchSize: 2,
    depth: 2, filters: 8, blocksPerLayer: 1, blocksDeepest: 1, blocksFinal: 1, bottleneckDeepest: 32, filterSizeDeepest: 3,
    residual: true, connections: 'concat', growth: 'additive', downsampling: 'max_pooling', normalization: 'instance',
    joinPlanes: true, balance: 'light', seed: 1,
  },
  fields: [
    { key: 'trainEvents', label: 'synthetic training events', kind: 'int', min: 1, max: 100_000, hideWhenFile: true, help: 'ignored when a larcv3 file is loaded (80% of its entries train)' },
    { key: 'testEvents', label: 'synthetic test events', kind: 'int', min: 1, max: 10_000, hideWhenFile: true },
    { key: 'imageSize', label: 'synthetic image side (px)', kind: 'int', min: 8, max: 2048, hideWhenFile: true },
    { key: 'downsample', label: 'downsample images by 2^k', kind: 'int', min: 0, max: 6 },
    { key: 'batchSize', label: 'events per batch', kind: 'int', min: 1, max: 64 },
    { key: 'depth', label: 'network depth', kind: 'int', min: 0, max: 8 },
    { key: 'filters', label: 'initial filters', kind: 'int', min: 1, max: 128 },
    { key: 'blocksPerLayer', label: 'blocks per layer', kind: 'int', min: 0, max: 8 },
    { key: 'blocksDeepest', label: 'blocks in the deepest layer', kind: 'int', min: 0, max: 8 },
    { key: 'blocksFinal', label: 'final blocks', kind: 'int', min: 0, max: 8 },
    { key: 'bottleneckDeepest', label: 'deepest bottleneck filters', kind: 'int', min: 1, max: 1024 },
    { key: 'filterSizeDeepest', label: 'deepest filter size', kind: 'select', options: ['1', '3', '5', '7'] },
    { key: 'residual', label: 'residual blocks', kind: 'bool' },
    { key: 'connections', label: 'skip connections', kind: 'select', options: ['concat', 'sum', 'none'] },
    { key: 'growth', label: 'filter growth', kind: 'select', options: ['additive', 'multiplicative'] },
    { key: 'downsampling', label: 'downsampling', kind: 'select', options: ['max_pooling', 'convolutional'] },
    { key: 'normalization', label: 'normalization', kind: 'select', options: ['instance', 'none'], help: 'instance norm: per image and channel, identical in training and evaluation' },
    { key: 'joinPlanes', label: 'join planes at the deepest layer', kind: 'bool' },
    { key: 'balance', label: 'loss balance', kind: 'select', options: ['none', 'light', 'even', 'focal'], help: 'class weights of the per-plane cross-entropy (CosmicTagger balance_type)' },
    { key: 'seed', label: 'seed', kind: 'int', min: 0 },
  ],
  optimizer: { lr: 2e-3 },
};
