/**
 * Streams between the two workers. The page creates one MessageChannel per role, sends one
 * end of each to the data worker (`stream` request: it serves BatchReaders on them) and the
 * other ends to the training worker inside the task data (PortStreamData, transferred); the
 * training worker turns them into PortBatchSources (streamDataFromPorts), so batches go from
 * worker to worker and the page never holds them.
 */
import type { SetsStreamData } from '../../tasks/deepsets/stream';
import type { HitsStreamData } from '../../tasks/clustering/stream';
import type { PlanesStreamData } from '../../tasks/cosmic/stream';
import type { SpanetStreamData } from '../../tasks/spanet/stream';
import type { TaskData } from '../../tasks/types';
import type { SpanetStreamSetup } from './spanetPlan';
import { PortBatchSource, type PortLike } from './port';
import type { Role } from './plan';

export type PortStreamData = {
  kind: 'stream-ports';
  /** which task data the batches make */
  payload: 'sets' | 'hits' | 'planes' | 'spanet';
  ports: Partial<Record<Role, PortLike>> & { train: PortLike };
  targetKind?: 'regression' | 'classification';
  classes?: number[];
  label?: string;
  /** batches in flight per port (default 3) */
  depth?: number;
  /** file names and entries per epoch / pass of each role, as the data worker opened them */
  files?: Partial<Record<Role, string>>;
  epochSizes?: Partial<Record<Role, number>>;
  /** payload 'spanet': the event description and statistics the data worker's pass computed (spanetPlan.ts) */
  spanet?: SpanetStreamSetup;
};

export function isPortStreamData(d: TaskData | undefined): d is PortStreamData {
  return !!d && (d as { kind?: unknown }).kind === 'stream-ports';
}

/** The training worker's task data for ports received from the page. */
export function streamDataFromPorts(d: PortStreamData): TaskData {
  const known = (role: Role) => ({
    ...(d.files?.[role] !== undefined ? { file: d.files[role] } : {}),
    ...(d.epochSizes?.[role] !== undefined ? { epochSize: d.epochSizes[role] } : {}),
  });
  const src = <P>(role: Role) => {
    const p = d.ports[role];
    return p ? new PortBatchSource<P>(p, d.depth ?? 3, known(role)) : undefined;
  };
  if (d.payload === 'sets') {
    return {
      kind: 'sets-stream',
      train: src('train')!,
      validation: src('validation'),
      test: src('test'),
      targetKind: d.targetKind ?? 'regression',
      classes: d.classes,
      label: d.label,
    } satisfies SetsStreamData;
  }
  if (d.payload === 'spanet') {
    if (!d.spanet) throw new Error('SPANet stream: the statistics of the training file did not come with the ports');
    return {
      kind: 'spanet-stream',
      train: src('train')!,
      validation: src('validation'),
      test: src('test'),
      setup: d.spanet,
      trainEvents: d.spanet.trainEvents,
      label: d.label,
    } satisfies SpanetStreamData;
  }
  if (d.payload === 'planes') {
    return {
      kind: 'planes-stream',
      train: src('train')!,
      validation: src('validation'),
      test: src('test'),
      label: d.label,
    } satisfies PlanesStreamData;
  }
  return {
    kind: 'hits-stream',
    train: src('train')!,
    validation: src('validation'),
    test: src('test'),
    label: d.label,
  } satisfies HitsStreamData;
}
