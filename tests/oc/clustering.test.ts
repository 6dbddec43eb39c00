/** The clustering task: inference and metrics on hand-made cases, and a short training run. */
import { describe, expect, it } from 'vitest';
import { testEngine } from '../helpers/engine';
import { Trainer } from '../../src/train/trainer';
import { clusteringTask } from '../../src/tasks/clustering/task';
import { generateTrackEvents, isHitsData, trainableEvents } from '../../src/tasks/clustering/data';
import type { TaskData } from '../../src/tasks/types';
import { clusterCounts, condense } from '../../src/tasks/clustering/inference';

describe('clustering inference and metrics', () => {
  it('condense: highest β first, radius assignment, below-threshold hits stay unassigned', () => {
    const beta = [0.9, 0.2, 0.8, 0.1, 0.95, 0.05];
    const coords = [0, 0, 0.3, 0, 5, 5, 5.2, 5, 0.1, 0.1, 9, 9];
    // hit 4 (β .95) is the first point and takes 0 and 1; hit 2 takes 3; hit 5 is far and low-β
    expect(Array.from(condense(beta, coords, 2, 0.5, 0.5))).toEqual([0, 0, 1, 1, 0, -1]);
  });

  it('cluster counts: double-majority matches, perfect matches and purity', () => {
    const truth = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 0, 0];
    // cluster 0: all of object 1 (10 hits) plus one noise hit → perfect (1/11 foreign ≤ 10 %)
    // cluster 1: 2 of object 2's 4 hits + 1 noise → not > 50 % of the object: unmatched
    const pred = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, -1, -1, 0, 1];
    const c = clusterCounts(truth, pred);
    expect(c).toMatchObject({ objects: 2, matched: 1, perfect: 1, clusters: 2 });
    expect(c.puritySum).toBeCloseTo(10 / 11 + 2 / 3, 12);
  });

  it('synthetic events are valid task data with tracks and noise', () => {
    const d = generateTrackEvents({ events: 5, minTracks: 3, maxTracks: 6, layers: 10, noiseHits: 8, seed: 3 });
    expect(isHitsData(d)).toBe(true);
    expect(d.eventOffsets.length).toBe(6);
    expect(d.objectId.filter((id) => id === 0).length).toBe(40);
    expect(Math.max(...d.objectId)).toBeGreaterThanOrEqual(3);
  });
});

describe('clustering task', () => {
  it('trains: the loss falls and the efficiency rises', async () => {
    const e = await testEngine();
    const config = { ...clusteringTask.defaults, trainEvents: 16, testEvents: 8, hidden: 24 };
    const run = await clusteringTask.create(e, config);
    const trainer = new Trainer(e, run, clusteringTask.optimizer, 20);
    const before = await trainer.evaluate();
    await trainer.runSteps(100, () => {});
    const after = await trainer.evaluate();
    expect(e.gpu.takeErrors()).toEqual([]);
    expect(after.scalars.loss).toBeLessThan(0.7 * before.scalars.loss);
    expect(after.scalars.efficiency).toBeGreaterThan(before.scalars.efficiency + 0.15);
    expect(after.figures?.map((f) => f.id)).toEqual(['event-truth', 'event-prediction', 'latent']);
    console.log(
      `clustering: efficiency ${before.scalars.efficiency} → ${after.scalars.efficiency}, loss ${before.scalars.loss} → ${after.scalars.loss}`,
    );
    trainer.dispose();
  });
});

describe('clustering from files with unusable events', () => {
  /** Five synthetic events, then event 1 emptied and event 3 turned into noise only. */
  function withBadEvents() {
    const d = generateTrackEvents({ events: 5, minTracks: 2, maxTracks: 3, layers: 6, noiseHits: 2, seed: 5 });
    const id = Int32Array.from(d.objectId);
    for (let h = d.eventOffsets[3]; h < d.eventOffsets[4]; h++) id[h] = 0;
    const keep = (h: number) => h < d.eventOffsets[1] || h >= d.eventOffsets[2];
    const hits = Array.from({ length: id.length }, (_, h) => h).filter(keep);
    const features = new Float32Array(hits.length * d.width);
    hits.forEach((h, k) => features.set(d.features.subarray(h * d.width, (h + 1) * d.width), k * d.width));
    const n1 = d.eventOffsets[2] - d.eventOffsets[1];
    const eventOffsets = Uint32Array.from(d.eventOffsets, (o, ev) => (ev >= 2 ? o - n1 : o));
    return {
      ...d,
      features,
      objectId: Int32Array.from(hits, (h) => id[h]),
      eventOffsets,
      eventNames: ['entry 10', 'entry 11', 'entry 12', 'entry 13', 'entry 14'],
    };
  }

  it('skips empty and all-noise events, names them by their file event, and trains on the rest', async () => {
    const data = withBadEvents();
    const { data: kept, empty, allNoise } = trainableEvents(data);
    expect(empty).toEqual(['entry 11']);
    expect(allNoise).toEqual(['entry 13']);
    expect(kept.eventOffsets.length - 1).toBe(3);
    expect(kept.eventNames).toEqual(['entry 10', 'entry 12', 'entry 14']);
    const e = await testEngine();
    const run = await clusteringTask.create(e, { ...clusteringTask.defaults, hidden: 8, eventsPerBatch: 2 }, data as unknown as TaskData);
    expect(run.describe()).toContain('skipped 1 empty (entry 11) and 1 all-noise (entry 13) events');
    const trainer = new Trainer(e, run);
    await trainer.runSteps(2, () => {});
    const points = await trainer.flush();
    expect(points.every((p) => Number.isFinite(p.values.loss))).toBe(true);
    trainer.dispose();
  });

  it('with fewer than two usable events the error says how many and which were skipped', async () => {
    const d = withBadEvents();
    const only = { ...d, objectId: d.objectId.map((v, h) => (h >= d.eventOffsets[1] ? 0 : v)) };
    const e = await testEngine();
    await expect(async () => clusteringTask.create(e, clusteringTask.defaults, only as unknown as TaskData)).rejects.toThrow(
      /at least 2 events with an object .* it has 1; skipped 1 empty \(entry 11\) and 3 all-noise \(entry 12, entry 13, entry 14\)/,
    );
  });
});
