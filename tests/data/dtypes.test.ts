import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataFileError } from '../../src/data/errors';
import { decodeCompound } from '../../src/data/h5/decode';
import { halfToNumber } from '../../src/data/h5/half';
import { openNodeH5 } from '../../src/data/h5/node';
import { buildTree } from '../../src/data/h5/tree';
import { jaggedSetsLayouts, readJaggedSets } from '../../src/data/generic/sets';
import { previewDataset } from '../../src/data/preview';

// Written by tests/fixtures/data/make_fixtures.py (h5py): h5wasm writes neither f2 nor lzf.
const FIX = resolve(__dirname, '../fixtures/data');

describe('float16 datasets', () => {
  it('halfToNumber decodes every class of half exactly', () => {
    expect(halfToNumber(0x3c00)).toBe(1);
    expect(halfToNumber(0xc100)).toBe(-2.5);
    expect(halfToNumber(0x7bff)).toBe(65504); // largest finite half
    expect(halfToNumber(0x0001)).toBe(2 ** -24); // smallest subnormal
    expect(halfToNumber(0x03ff)).toBe(1023 * 2 ** -24); // largest subnormal
    expect(Object.is(halfToNumber(0x8000), -0)).toBe(true);
    expect(halfToNumber(0x7c00)).toBe(Infinity);
    expect(halfToNumber(0xfc00)).toBe(-Infinity);
    expect(halfToNumber(0x7e00)).toBeNaN();
  });

  it('a <f2 dataset reads as float32, values equal to what h5py wrote', async () => {
    const src = await openNodeH5(`${FIX}/float16.h5`);
    try {
      expect(src.info('/half').dtypeText).toBe('<f2');
      const v = src.readNumeric('/half');
      expect(v).toBeInstanceOf(Float32Array);
      expect(Array.from(v as Float32Array).slice(0, 7)).toEqual([0, 1, -2.5, 0.333251953125, 65504, 2 ** -24, -0]);
      expect(Object.is(v[6], -0)).toBe(true);
      expect(v[7]).toBeNaN();
      expect(v[8]).toBe(-Infinity);
      expect(Array.from(src.readNumeric('/half_2d') as Float32Array)).toEqual([0, 0.25, 0.5, 0.75, 1, 1.25]);
      const cols = decodeCompound(src.readRows('/table', 0, 3), src.info('/table').dtype);
      expect(Array.from(cols['a'] as Float64Array)).toEqual([0.5, -1, 1024]);
      expect(Array.from(cols['b'] as Float64Array)).toEqual([1, 2, 3]);
      // the inspector's preview and histogram read it too
      const p = previewDataset(src, '/half_2d');
      expect(JSON.stringify(p)).not.toMatch(/not numeric/);
    } finally {
      src.close();
    }
  });

  it('jagged sets with f2 element features train like any float', async () => {
    const src = await openNodeH5(`${FIX}/float16.h5`);
    try {
      const [layout] = jaggedSetsLayouts(buildTree(src));
      expect(layout.features).toEqual(['/sets/x', '/sets/y']);
      const s = readJaggedSets(src, layout, '/target');
      expect(Array.from(s.values)).toEqual([0.25, 1, 0.5, 2, 0.75, 3, 1, 4, 1.25, 5]);
      expect(Array.from(s.offsets)).toEqual([0, 2, 5]);
    } finally {
      src.close();
    }
  });
});

describe('lzf-compressed datasets', () => {
  it('say which filter, that the browser library cannot read it, and how to re-save the file', async () => {
    const src = await openNodeH5(`${FIX}/lzf.h5`);
    try {
      const info = src.info('/compressed');
      expect(info.filters).toEqual(['lzf']);
      expect(info.filterIds).toEqual([32000]);
      let err: unknown;
      try {
        src.readNumeric('/compressed');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(DataFileError);
      const e = err as DataFileError;
      expect(e.file).toBe('lzf.h5');
      expect(e.dataset).toBe('/compressed');
      expect(e.message).toContain(
        'dataset /compressed is compressed with lzf (filter id 32000), which the browser HDF5 library cannot read',
      );
      expect(e.message).toContain('re-save it with gzip: h5repack -f GZIP=4 lzf.h5 lzf_gzip.h5');
      expect(e.message).not.toMatch(/plugin|directory/);
      // other datasets of the file stay readable
      expect(Array.from(src.readNumeric('/plain') as Float32Array)).toEqual([0, 1, 2, 3]);
    } finally {
      src.close();
    }
  });
});
