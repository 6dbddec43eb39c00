/** The TaskData of a clustering run trained from a stream (src/data/stream): events of hits per batch. */
import type { BatchSource } from '../../data/stream/types';
import type { TaskData } from '../types';
import type { HitsData } from './data';

/** A batch of events as the stream delivers it, with the file entry of each. */
export type HitsPayload = HitsData & { entries: Uint32Array };

export type HitsStreamData = {
  kind: 'hits-stream';
  train: BatchSource<HitsPayload>;
  validation?: BatchSource<HitsPayload>;
  test?: BatchSource<HitsPayload>;
  label?: string;
};

export function isHitsStreamData(d: TaskData | undefined): d is HitsStreamData {
  return !!d && (d as { kind?: unknown }).kind === 'hits-stream';
}
