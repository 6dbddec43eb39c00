import type { TaskConfig } from '../../tasks/types';

/** One card of the first screen: a task, the demo file it opens on, and settings suited to that file. */
export interface GalleryTask {
  taskId: string;
  title: string;
  blurb: string;
  /** A file in public/demo/ (none: the task's built-in data). */
  demoFile?: string;
  /** Config on top of the task's defaults, sized for the demo file (and a quick first run). */
  preset: Partial<TaskConfig>;
}

export const GALLERY: GalleryTask[] = [
  {
    taskId: 'deepsets',
    title: 'Deep Sets',
    demoFile: 'sets_demo.h5',
    blurb: 'Regress a property of variable-size sets (jets, hits, particles) with a permutation-invariant network.',
    // The demo file's 300 sets: 240 to train, 60 held out.
    preset: { phiWidth: 64, rhoWidth: 64, trainSets: 240, testSets: 60 },
  },
  {
    taskId: 'oc-clustering',
    title: 'Object condensation clustering',
    demoFile: 'hits_demo.h5',
    blurb: 'Group detector hits into tracks and reject noise, trained with the object condensation loss.',
    preset: { hidden: 32, eventsPerBatch: 4 },
  },
  {
    taskId: 'cosmic-uresnet',
    title: 'Cosmic tagging',
    demoFile: 'cosmic_demo.h5',
    blurb: 'Segment LArTPC wire-plane images into cosmic, neutrino and background pixels with a U-ResNet (CosmicTagger).',
    // The demo's 128×128 planes, downsampled to 32×32: a first run in minutes even on a CPU.
    preset: { downsample: 2, batchSize: 2 },
  },
  {
    taskId: 'spanet',
    title: 'SPANet jet-parton assignment',
    demoFile: 'spanet_demo.h5',
    blurb: 'Assign jets to the partons of top-quark decays with symmetry-preserving attention.',
    preset: { width: 32, layers: 1, batchSize: 32 },
  },
  {
    taskId: 'toy-mlp',
    title: 'Engine demo (MLP regression)',
    blurb: 'A small MLP on a noisy 2-D function: checks that training on this GPU works end to end.',
    preset: {},
  },
];
