import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataFileError } from '../../src/data/errors';
import { openNodeH5 } from '../../src/data/h5/node';
import { readSpanetEvents } from '../../src/data/spanet/reader';
import type { DType } from '../../src/data/h5/types';
import type { DatasetSpec } from '../../tools/writers/h5write';
import { encodeNumbers } from '../../tools/writers/encode';
import { jaggedSetsDatasets } from '../../tools/writers/jaggedSets';
import { writeH5NodeFile } from '../../tools/writers/nodeWrite';
import { seededRandom } from '../../src/nn/init';
import { parseSetsTaskData, toySets } from '../../src/tasks/deepsets/data';
import { payloadNotes } from '../../src/tasks/fromFile/load';
import { MAX_CLASSES } from '../../src/tasks/fromFile/targets';
import { spanetFixture, tmpDir } from '../data/fixtures';
import { readAsApp } from './helpers';

const t = tmpDir();
afterAll(() => t.cleanup());
const F4: DType = { kind: 'float', size: 4, littleEndian: true };
const I4: DType = { kind: 'int', size: 4, signed: true, littleEndian: true };
const I8: DType = { kind: 'int', size: 8, signed: true, littleEndian: true };

async function dataError(f: () => Promise<unknown>): Promise<DataFileError> {
  try {
    await f();
  } catch (e) {
    if (e instanceof DataFileError) return e;
    throw new Error(`expected a DataFileError, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  }
  throw new Error('expected a DataFileError, nothing was thrown');
}

/** A jagged-sets file of `n` toy sets with /target replaced by `target` and an int /cls. */
async function setsFile(name: string, n: number, target?: (i: number, v: number) => number, cls?: (i: number) => number): Promise<string> {
  const toy = toySets(n, seededRandom(3), 6);
  const targets = target ? Float32Array.from(toy.targets, (v, i) => target(i, v)) : toy.targets;
  const ds: DatasetSpec[] = jaggedSetsDatasets(toy.sets, targets).filter((d) => d.path !== '/label');
  if (cls)
    ds.push({
      path: '/cls',
      type: I4,
      shape: [n],
      bytes: encodeNumbers(
        I4,
        Array.from({ length: n }, (_, i) => cls(i)),
      ),
    });
  const p = join(t.dir, name);
  await writeH5NodeFile(p, ds);
  return p;
}
const regressing = (title: string) => title.includes('regressing /target');
const classifying = (title: string) => title.includes('classifying /cls');

describe('set targets: NaN is left out with a count, ±Inf is an error', () => {
  it('NaN targets are dropped and counted in the description', async () => {
    const p = await setsFile('nan-target.h5', 25, (i, v) => (i === 2 || i === 5 ? NaN : v));
    const { payload, data } = await readAsApp(p, regressing);
    const note = '2 of 25 sets have no target (NaN) in /target and are left out (sets 2, 5)';
    expect(payloadNotes(payload)).toEqual([note]);
    const s = parseSetsTaskData(data);
    expect(s.offsets.length - 1).toBe(23);
    expect(s.label).toBe(`nan-target.h5: /target (${note})`);
  });

  for (const inf of [Infinity, -Infinity]) {
    it(`a ${inf} target is an error naming the file, dataset and set`, async () => {
      const p = await setsFile(`inf${inf > 0 ? '+' : '-'}.h5`, 25, (i, v) => (i === 4 ? inf : v));
      const e = await dataError(() => readAsApp(p, regressing));
      expect(e.code).toBe('nan');
      expect(e.file).toBe(`inf${inf > 0 ? '+' : '-'}.h5`);
      expect(e.dataset).toBe('/target');
      expect(e.message).toContain(`set 4: target ${inf}`);
    });
  }
});

describe('class targets: the classes found are stated, stray values flagged, huge heads refused', () => {
  it('a stray class 99 among 0, 1, 2 is reported (Deep Sets relabels to 4 classes)', async () => {
    const p = await setsFile('stray.h5', 30, undefined, (i) => (i === 7 ? 99 : i % 3));
    const { payload, data } = await readAsApp(p, classifying);
    expect(payloadNotes(payload)).toEqual([
      '/cls: classes 0 (10 sets), 1 (9 sets), 2 (10 sets), 99 (1 set) → 4 classes 0..3', // set 7 (7 % 3 = 1) is the 99,
      'warning: /cls has value 99 (1 set) far from the others; check for stray codes',
    ]);
    const s = parseSetsTaskData(data);
    expect(s.numClasses).toBe(4);
    expect(s.label).toContain('warning: /cls has value 99');
  });

  it('ordinary classes give one note and no warning', async () => {
    const p = await setsFile('plain-cls.h5', 30, undefined, (i) => i % 3);
    const { payload } = await readAsApp(p, classifying);
    expect(payloadNotes(payload)).toEqual(['/cls: classes 0 (10 sets), 1 (10 sets), 2 (10 sets) → 3 classes 0..2']);
  });

  it(`more than ${MAX_CLASSES} distinct classes is an error`, async () => {
    const p = await setsFile('many-cls.h5', 1100, undefined, (i) => i);
    const e = await dataError(() => readAsApp(p, classifying));
    expect(e.dataset).toBe('/cls');
    expect(e.message).toContain('1100 distinct class values (0, 1, 2, 3, 4, … (1100 in all)) (expected at most 1024 classes)');
  });

  const setSignal = (event: number, v: bigint) => (ds: DatasetSpec[]) => {
    const d = ds.find((x) => x.path === '/CLASSIFICATIONS/EVENT/signal')!;
    new DataView(d.bytes.buffer, d.bytes.byteOffset).setBigInt64(8 * event, v, true);
    return ds;
  };
  const assignment = (title: string) => title.startsWith('jet–parton assignment');

  it('SPANet: a stray class 99 would make a 100-class head; the notes say so', async () => {
    const p = await spanetFixture(t.dir, 'spanet-99.h5', undefined, setSignal(3, 99n));
    const { payload } = await readAsApp(p, assignment);
    const notes = payloadNotes(payload);
    expect(notes[0]).toMatch(
      /^\/CLASSIFICATIONS\/EVENT\/signal: classes 0 \(\d+ events\), 1 \(\d+ events\), 99 \(1 event\): a 100-class head$/,
    );
    expect(notes[1]).toBe(
      'warning: /CLASSIFICATIONS/EVENT/signal has 3 distinct classes but a 100-class head (value 99 (1 event) far from the others); check for stray codes',
    );
  });

  it(`SPANet: a class id making a head over ${MAX_CLASSES} classes is an error`, async () => {
    const p = await spanetFixture(t.dir, 'spanet-2000.h5', undefined, setSignal(3, 2000n));
    const e = await dataError(() => readAsApp(p, assignment));
    expect(e.file).toBe('spanet-2000.h5');
    expect(e.dataset).toBe('/CLASSIFICATIONS/EVENT/signal');
    expect(e.message).toContain('class id 2000 would make a 2001-class head');
  });

  it('SPANet: a class value of 2^40 (int32 would wrap it to 0) is an error naming dataset and event', async () => {
    const p = await spanetFixture(t.dir, 'spanet-2p40.h5', undefined, setSignal(3, 2n ** 40n));
    const src = await openNodeH5(p);
    try {
      const e = await dataError(async () => readSpanetEvents(src));
      expect(e.code).toBe('out-of-range');
      expect(e.dataset).toBe('/CLASSIFICATIONS/EVENT/signal');
      expect(e.message).toContain(`event 3: class ${2 ** 40}`);
      expect(e.message).toContain('integer class ids within int32');
    } finally {
      src.close();
    }
  });
});

describe('generic jagged offsets', () => {
  it('offsets that do not start at 0 are an error naming the dataset and the first offset', async () => {
    const p = join(t.dir, 'offsets3.h5');
    await writeH5NodeFile(p, [
      { path: '/sets/x', type: F4, shape: [9], bytes: encodeNumbers(F4, [1, 2, 3, 4, 5, 6, 7, 8, 9]) },
      { path: '/sets/offsets', type: I8, shape: [3], bytes: encodeNumbers(I8, [3, 5, 9]) },
      { path: '/target', type: F4, shape: [2], bytes: encodeNumbers(F4, [0.5, 1.5]) },
    ]);
    const e = await dataError(() => readAsApp(p, regressing));
    expect(e.code).toBe('bad-shape');
    expect(e.dataset).toBe('/sets/offsets');
    expect(e.message).toContain('the first offset is 3, so values 0..2 of /sets/x belong to no set');
  });

  it('negative or fractional offsets and counts are refused', async () => {
    const p = join(t.dir, 'counts-neg.h5');
    await writeH5NodeFile(p, [
      { path: '/sets/x', type: F4, shape: [4], bytes: encodeNumbers(F4, [1, 2, 3, 4]) },
      { path: '/sets/counts', type: F4, shape: [3], bytes: encodeNumbers(F4, [2, 2.5, -0.5]) },
      { path: '/target', type: F4, shape: [3], bytes: encodeNumbers(F4, [0.5, 1.5, 2]) },
    ]);
    const e = await dataError(() => readAsApp(p, regressing));
    expect(e.dataset).toBe('/sets/counts');
    expect(e.message).toContain('count 2.5 at 1');
  });
});
