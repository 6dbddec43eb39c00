/** The run history's small formats: metrics.jsonl ⇄ rows, series CSV, the URL hash, the data fingerprint. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fingerprintFile } from '../../src/runs/fingerprint';
import { formatMetricRows, parseMetricRows, seriesCsv, type MetricRow } from '../../src/runs/metricsLog';
import { decodeRunHash, encodeRunHash } from '../../src/runs/urlConfig';
import { TASK_CATALOG } from '../../src/tasks/catalog';
import { defaultRunConfig } from '../../src/train/runConfig';

const rows: MetricRow[] = [
  { step: 1, wallMs: 12.5, split: 'train', values: { loss: 0.5, lr: 1e-3 } },
  { step: 1, wallMs: 12.5, split: 'test', values: { loss: NaN, 'acc, top-1': 0.25 } },
];

describe('metrics.jsonl and CSV', () => {
  it('round-trips rows in the CLI layout (NaN as null) and skips bad lines', () => {
    const text = formatMetricRows(rows);
    expect(text.split('\n')[0]).toBe('{"step":1,"wall_ms":12.5,"split":"train","loss":0.5,"lr":0.001}');
    expect(text).toContain('"loss":null');
    const back = parseMetricRows(`${text}not json\n{"step":"x"}\n`);
    expect(back.skipped).toBe(2);
    expect(back.rows[0]).toEqual(rows[0]);
    expect(back.rows[1].values.loss).toBeNaN();
  });

  it('writes one row per run, split and step, quoting names with commas', () => {
    const csv = seriesCsv([{ name: 'a "b"', rows }], ['loss', 'acc, top-1']);
    expect(csv).toBe('run,split,step,wall_s,loss,"acc, top-1"\n"a ""b""",train,1,0.0125,0.5,\n"a ""b""",test,1,0.0125,,0.25\n');
  });
});

describe('URL hash', () => {
  const toy = TASK_CATALOG.find((t) => t.id === 'toy-mlp')!;

  it('carries only what differs from the defaults and decodes to the same run', () => {
    const rc = defaultRunConfig(toy);
    rc.config = { ...rc.config, hidden: 32, activation: 'tanh' };
    rc.optimizer = { ...rc.optimizer, lr: 0.01, schedule: 'warmup_cosine', warmup_steps: 5 };
    rc.steps = 500;
    const hash = encodeRunHash(rc, TASK_CATALOG);
    expect(hash).toBe('#task=toy-mlp&hidden=32&activation=tanh&lr=0.01&schedule=warmup_cosine&warmup_steps=5&steps=500');
    expect(decodeRunHash(hash, TASK_CATALOG)).toEqual(rc);
    expect(decodeRunHash('#task=toy-mlp', TASK_CATALOG)).toEqual(defaultRunConfig(toy));
    expect(decodeRunHash('', TASK_CATALOG)).toBeNull();
  });

  it('names a bad task, key or value', () => {
    expect(() => decodeRunHash('#task=nope', TASK_CATALOG)).toThrow(/unknown task "nope"/);
    expect(() => decodeRunHash('#task=toy-mlp&colour=red', TASK_CATALOG)).toThrow(/unknown setting "colour"/);
    expect(() => decodeRunHash('#task=toy-mlp&hidden=-3', TASK_CATALOG)).toThrow(/config\.hidden/);
  });
});

describe('data fingerprint', () => {
  const expected = (bytes: Uint8Array) => {
    const span = Math.min(1 << 20, bytes.length);
    const size = Buffer.alloc(8);
    size.writeBigUInt64LE(BigInt(bytes.length));
    return `sha256-1m:${createHash('sha256').update(size).update(bytes.subarray(0, span)).update(bytes.subarray(bytes.length - span)).digest('hex')}`;
  };

  it('hashes size, first MiB and last MiB (independently computed with node:crypto)', async () => {
    for (const n of [0, 7, (1 << 20) + 3, 3 << 20]) {
      const bytes = new Uint8Array(n).map((_, i) => (i * 2654435761) >>> 24);
      expect(await fingerprintFile(new Blob([bytes])), `size ${n}`).toBe(expected(bytes));
    }
  });

  it('changes when a byte in the head or tail changes, not in the middle of a big file', async () => {
    const bytes = new Uint8Array(3 << 20);
    const base = await fingerprintFile(new Blob([bytes]));
    const at = async (i: number) => {
      const b = bytes.slice();
      b[i] = 1;
      return fingerprintFile(new Blob([b]));
    };
    expect(await at(10)).not.toBe(base);
    expect(await at(bytes.length - 1)).not.toBe(base);
    expect(await at(3 << 19)).toBe(base); // documented: not a full-content hash
  });
});
