/**
 * Stream positions for checkpoints: position() counts what was handed out, never what was read
 * ahead, and a fresh stream seeked there continues with exactly the batches the original would
 * have given (across epoch boundaries, with skipped entries), in one process and across a
 * MessagePort as between the data worker and the training worker.
 */
import { describe, expect, it } from 'vitest';
import { EntryOrder, type OrderOptions } from '../../src/data/stream/order';
import { PortBatchSource, serveBatches, type PortLike } from '../../src/data/stream/port';
import { BatchReader } from '../../src/data/stream/reader';
import { StreamDataError, type BatchSource, type EntryReader } from '../../src/data/stream/types';

type Payload = { x: Float32Array; entries: Uint32Array };
const fake = (bad = -1): EntryReader<Payload> => ({
  file: 'fake.h5',
  entries: 100,
  read(entries) {
    if (entries.includes(bad)) throw new StreamDataError('fake.h5', '/x', bad, 'value NaN');
    const sorted = Uint32Array.from(entries).sort();
    return { x: Float32Array.from(sorted, (e) => e * 2), entries: sorted };
  },
});

// 90 entries in batches of 16: epochs of 6 batches, the last one short (10 entries)
const ORDER: OrderOptions = { range: { start: 5, end: 95 }, shuffle: true, seed: 11, batch: 16 };
const local = (bad = -1) => new BatchReader(fake(bad), new EntryOrder(ORDER), { prefetch: 3 });

function overPort(bad = -1): PortBatchSource<Payload> {
  const ch = new MessageChannel();
  serveBatches(ch.port1 as unknown as PortLike, local(bad));
  return new PortBatchSource<Payload>(ch.port2 as unknown as PortLike, 3);
}

const settle = () => new Promise((r) => setTimeout(r, 10));

async function take(src: BatchSource<Payload>, n: number): Promise<number[][]> {
  const out: number[][] = [];
  for (let i = 0; i < n; i++) {
    out.push(Array.from((await src.next())!.entries));
    await settle(); // the read-ahead runs and, over a port, batches queue up in flight
  }
  return out;
}

describe.each([
  ['BatchReader', (bad?: number) => local(bad)],
  ['PortBatchSource', (bad?: number) => overPort(bad)],
] as const)('%s position and seek', (_name, make) => {
  it('a fresh stream seeked to the saved position continues with the same batches, past epoch ends', async () => {
    const whole = make();
    const all = await take(whole, 17); // almost three epochs
    whole.close();

    for (const cut of [1, 4, 6, 11]) {
      const first = make();
      await take(first, cut);
      const saved = first.position();
      // read ahead (prefetch 3, and depth 3 in flight) but not handed out: not counted
      expect(saved, `after ${cut} batches`).toEqual({
        epoch: Math.floor(cut / 6),
        position: (cut % 6) * 16,
        epochSize: 90,
        batch: 16,
        skipped: [],
      });
      first.close();
      const resumed = make();
      await take(resumed, 1); // as a task's create() draws its first batch before the restore
      resumed.seek(JSON.parse(JSON.stringify(saved)));
      expect(resumed.position()).toEqual(saved);
      expect(await take(resumed, 17 - cut)).toEqual(all.slice(cut));
      resumed.close();
    }
  });

  it('carries the skipped entries, and refuses a position of another batch size or split', async () => {
    // the bad entry: the 4th of the second batch
    const plan = new EntryOrder(ORDER);
    plan.next();
    const bad = plan.next()!.entries[3];
    const a = make(bad);
    await take(a, 1);
    await expect(a.next()).rejects.toThrow(new RegExp(`entry ${bad}: value NaN`));
    expect(a.position()).toMatchObject({ epoch: 0, position: 16, skipped: [] });
    a.skip(bad);
    const saved = a.position();
    expect(saved).toMatchObject({ epoch: 0, position: 16, skipped: [bad] });
    const rest = await take(a, 8);
    expect(rest[0]).toHaveLength(15);
    a.close();

    // the skip travels with the position: the fresh stream reads past the bad entry, in later epochs too
    const b = make(bad);
    await take(b, 1);
    b.seek(saved);
    expect(await take(b, 8)).toEqual(rest);
    expect(() => b.seek({ ...saved, batch: 8 })).toThrow(/batches of 8; this stream has 90 in batches of 16/);
    expect(() => b.seek({ ...saved, epochSize: 80 })).toThrow(/80 entries per epoch/);
    b.close();
  });
});

describe('EntryOrder.seek', () => {
  it('refuses positions outside the epoch', () => {
    const o = new EntryOrder(ORDER);
    expect(() => o.seek(0, 90)).toThrow(/outside the epoch of 90 entries/);
    expect(() => o.seek(-1, 0)).toThrow(/bad epoch/);
    o.seek(2, 32);
    expect(o.next()!.place).toEqual({ epoch: 2, position: 32, epochSize: 90 });
  });
});
