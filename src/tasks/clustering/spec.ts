// Plain data about the task (no engine imports): the page's catalogue shows it and task.ts builds on it.
import type { TaskSpec } from '../types';

export interface ClusteringConfig extends Record<string, number | string | boolean> {
  trainEvents: number;
  testEvents: number;
  eventsPerBatch: number;
  minTracks: number;
  maxTracks: number;
  noiseHits: number;
  hidden: number;
  latentDims: number;
  neighbours: number;
  qMin: number;
  wAttractive: number;
  wRepulsive: number;
  wCoward: number;
  wNoise: number;
  tBeta: number;
  tD: number;
  seed: number;
}

export const clusteringSpec: TaskSpec<ClusteringConfig> = {
  id: 'oc-clustering',
  label: 'Object condensation clustering (tracks)',
  description:
    'Finds tracks (arcs in a 2-D detector) among noise hits: a per-hit network with one message-passing layer predicts β and cluster coordinates, trained with the object condensation loss (fused WGSL kernels). Uses a loaded hits file when given, else synthetic events.',
  defaults: {
    trainEvents: 64,
    testEvents: 16,
    eventsPerBatch: 4,
    minTracks: 3,
    maxTracks: 6,
    noiseHits: 8,
    hidden: 48,
    latentDims: 2,
    neighbours: 4,
    qMin: 0.1,
    wAttractive: 1,
    wRepulsive: 1,
    wCoward: 0.3,
    wNoise: 0.3,
    tBeta: 0.3,
    tD: 0.5,
    seed: 1,
  },
  fields: [
    { key: 'trainEvents', label: 'training events (synthetic)', kind: 'int', min: 1, max: 100_000, hideWhenFile: true },
    { key: 'testEvents', label: 'test events (synthetic)', kind: 'int', min: 1, max: 10_000, hideWhenFile: true },
    { key: 'eventsPerBatch', label: 'events per batch', kind: 'int', min: 1, max: 1024 },
    { key: 'minTracks', label: 'tracks per event, min', kind: 'int', min: 1, max: 200, hideWhenFile: true },
    { key: 'maxTracks', label: 'tracks per event, max', kind: 'int', min: 1, max: 200, hideWhenFile: true },
    { key: 'noiseHits', label: 'noise hits per event', kind: 'int', min: 0, max: 10_000, hideWhenFile: true },
    { key: 'hidden', label: 'hidden width', kind: 'int', min: 4, max: 1024 },
    { key: 'latentDims', label: 'cluster space dims', kind: 'int', min: 1, max: 32 },
    { key: 'neighbours', label: 'message-passing neighbours (k)', kind: 'int', min: 1, max: 32 },
    { key: 'qMin', label: 'q_min', kind: 'number', min: 0, step: 0.05 },
    { key: 'wAttractive', label: 'weight: attractive', kind: 'number', min: 0, step: 0.1 },
    { key: 'wRepulsive', label: 'weight: repulsive', kind: 'number', min: 0, step: 0.1 },
    { key: 'wCoward', label: 'weight: coward', kind: 'number', min: 0, step: 0.1 },
    { key: 'wNoise', label: 'weight: noise', kind: 'number', min: 0, step: 0.1 },
    { key: 'tBeta', label: 'inference t_β', kind: 'number', min: 0, max: 1, step: 0.05 },
    { key: 'tD', label: 'inference t_d', kind: 'number', min: 0, step: 0.05 },
    { key: 'seed', label: 'seed', kind: 'int', min: 0 },
  ],
  optimizer: { lr: 1e-2 },
};
