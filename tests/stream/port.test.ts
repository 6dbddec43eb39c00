/** Batches across a MessageChannel (as data worker → training worker), with transfer, flow control, errors and restart. */
import { describe, expect, it } from 'vitest';
import { EntryOrder } from '../../src/data/stream/order';
import { PortBatchSource, serveBatches, type PortLike } from '../../src/data/stream/port';
import { BatchReader } from '../../src/data/stream/reader';
import { StreamDataError, type EntryReader } from '../../src/data/stream/types';

const fake = (bad: number | null = null): EntryReader<{ x: Float32Array; entries: Uint32Array }> => ({
  file: 'fake.h5',
  entries: 100,
  read(entries) {
    const b = bad;
    if (b !== null && entries.includes(b)) throw new StreamDataError('fake.h5', '/x', b, 'value NaN');
    const sorted = Uint32Array.from(entries).sort();
    return { x: Float32Array.from(sorted, (e) => e * 2), entries: sorted };
  },
});

function channel<P>(reader: EntryReader<P>, order: EntryOrder, depth = 2) {
  const ch = new MessageChannel();
  serveBatches(ch.port1 as unknown as PortLike, new BatchReader(reader, order, { prefetch: 2 }));
  return new PortBatchSource<P>(ch.port2 as unknown as PortLike, depth);
}

describe('batches over a MessagePort', () => {
  it('delivers the planned batches in order, transferring their buffers', async () => {
    const plan = new EntryOrder({ range: { start: 0, end: 100 }, shuffle: true, seed: 5, batch: 16 });
    const src = channel(fake(), new EntryOrder({ range: { start: 0, end: 100 }, shuffle: true, seed: 5, batch: 16 }));
    for (let i = 0; i < 10; i++) {
      const b = (await src.next())!;
      expect(Array.from(b.entries)).toEqual(Array.from(plan.next()!.entries).sort((a, c) => a - c));
      expect(Array.from(b.payload.x)).toEqual(Array.from(b.entries, (e) => e * 2));
    }
    expect(src.stats().file).toBe('fake.h5');
    expect(src.stats().epoch).toBe(1);
    src.close();
  });

  it('fails at the bad batch until the entry is skipped; an evaluation pass ends and restarts', async () => {
    const src = channel(fake(40), new EntryOrder({ range: { start: 0, end: 100 }, shuffle: false, batch: 20, epochs: 1 }));
    expect((await src.next())!.entries[0]).toBe(0);
    expect((await src.next())!.entries[0]).toBe(20);
    await expect(src.next()).rejects.toThrow(/fake\.h5 \/x, entry 40: value NaN/);
    await expect(src.next()).rejects.toBeInstanceOf(StreamDataError);
    src.skip(40);
    const b = (await src.next())!;
    expect([b.entries[0], b.entries.length, b.skipped]).toEqual([41, 19, 1]);
    expect((await src.next())!.entries[0]).toBe(60);
    expect((await src.next())!.entries[0]).toBe(80);
    expect(await src.next()).toBeNull();
    src.restart();
    expect((await src.next())!.entries[0]).toBe(0);
    src.close();
  });
});
