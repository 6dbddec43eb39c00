/**
 * Which tasks a loaded file can train, decided from its detected kind and layout alone
 * (no data read yet). Each option names the reads that will feed the task.
 */
import type { FileSummary } from '../../data/detect';
import { hitFeatures, jaggedSetsLayouts, OBJECT_ID_COLUMN, type JaggedSetsLayout } from '../../data/generic/sets';
import type { TreeNode } from '../../data/h5/types';

export type FileRequest =
  | { kind: 'larcv3-segmentation'; imageProducer: string; labelProducer: string; entries: number }
  | { kind: 'larcv3-clusters'; product: 'cluster2d' | 'cluster3d'; producer: string; entries: number }
  | { kind: 'spanet-events'; events: number }
  | { kind: 'spanet-sets'; source: string; target: string; targetKind: 'regression' | 'classification'; events: number }
  | { kind: 'generic-sets'; layout: JaggedSetsLayout; target: string; targetKind: 'regression' | 'classification' }
  | { kind: 'generic-hits'; layout: JaggedSetsLayout; idColumn: string };

export interface TrainingOption {
  taskId: string;
  title: string;
  request: FileRequest;
}

/** Caps keep the first read of a very large file quick; the UI shows them. */
export const MAX_SEGMENTATION_ENTRIES = 500;
export const MAX_CLUSTER_ENTRIES = 5000;
export const MAX_SPANET_EVENTS = 200_000;

const LABEL_NAME = /seg|label|truth|cosmic/i;

export function trainingOptions(summary: FileSummary, tree?: TreeNode): TrainingOption[] {
  const out: TrainingOption[] = [];
  if (summary.kind === 'generic' && tree) {
    for (const layout of jaggedSetsLayouts(tree)) {
      const idColumn = layout.features.find((f) => OBJECT_ID_COLUMN.test(f));
      if (idColumn) {
        out.push({
          taskId: 'oc-clustering',
          title: `cluster the hits of ${layout.sets} events: features ${hitFeatures(layout, idColumn).join(', ')}, truth ${idColumn}`,
          request: { kind: 'generic-hits', layout, idColumn },
        });
      }
      for (const t of layout.targets) {
        out.push({
          taskId: 'deepsets',
          title: `Deep Set on ${layout.sets} sets of (${layout.features.join(', ')}), ${t.kind === 'regression' ? 'regressing' : 'classifying'} ${t.path}`,
          request: { kind: 'generic-sets', layout, target: t.path, targetKind: t.kind },
        });
      }
    }
  }
  if (summary.kind === 'larcv3') {
    const sparse2d = summary.products.filter((p) => p.type === 'sparse2d' && p.supported);
    const entries = (n: number, cap: number) => Math.min(n, cap);
    for (const label of sparse2d.filter((p) => LABEL_NAME.test(p.producer))) {
      for (const image of sparse2d.filter((p) => p !== label && !LABEL_NAME.test(p.producer))) {
        const n = entries(Math.min(image.nEntries, label.nEntries), MAX_SEGMENTATION_ENTRIES);
        out.push({
          taskId: 'cosmic-uresnet',
          title: `segment sparse2d "${image.producer}" with labels "${label.producer}" (${n} entries)`,
          request: { kind: 'larcv3-segmentation', imageProducer: image.producer, labelProducer: label.producer, entries: n },
        });
      }
    }
    for (const p of summary.products.filter((q) => (q.type === 'cluster2d' || q.type === 'cluster3d') && q.supported)) {
      const n = entries(p.nEntries, MAX_CLUSTER_ENTRIES);
      out.push({
        taskId: 'oc-clustering',
        title: `cluster the hits of ${p.type} "${p.producer}" (${n} entries, one event per plane)`,
        request: { kind: 'larcv3-clusters', product: p.type as 'cluster2d' | 'cluster3d', producer: p.producer, entries: n },
      });
    }
  }
  if (summary.kind === 'spanet') {
    const { layout } = summary;
    const events = Math.min(layout.nEvents, MAX_SPANET_EVENTS);
    // streamed (the app, physml train with data.stream): every event; events caps only a whole load
    const whole = events < layout.nEvents ? ` (${events} when loaded whole)` : '';
    out.push({
      taskId: 'spanet',
      title: `jet–parton assignment on ${layout.nEvents} events${whole}`,
      request: { kind: 'spanet-events', events },
    });
    const source = layout.sources.find((s) => s.kind === 'sequential');
    if (source) {
      for (const target of layout.regressions) {
        out.push({
          taskId: 'deepsets',
          title: `Deep Set on the "${source.name}" sets, regressing ${target}`,
          request: { kind: 'spanet-sets', source: source.name, target, targetKind: 'regression', events },
        });
      }
      for (const target of layout.classifications) {
        out.push({
          taskId: 'deepsets',
          title: `Deep Set on the "${source.name}" sets, classifying ${target}`,
          request: { kind: 'spanet-sets', source: source.name, target, targetKind: 'classification', events },
        });
      }
    }
  }
  return out;
}
