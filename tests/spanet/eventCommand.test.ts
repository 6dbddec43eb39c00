import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { eventCommand } from '../../src/tasks/spanet/eventCommand';
import { TTBAR_EVENT_YAML } from '../../src/tasks/spanet/synthetic';

const capture = () => {
  const out: string[] = [],
    err: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
    out.push(String(s));
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
    err.push(String(s));
    return true;
  });
  return { out, err };
};

describe('physml event', () => {
  afterEach(() => vi.restoreAllMocks());
  const dir = mkdtempSync(join(tmpdir(), 'physml-event-'));

  it('prints the parsed description as JSON', async () => {
    const f = join(dir, 'ttbar.yaml');
    writeFileSync(f, TTBAR_EVENT_YAML);
    const io = capture();
    expect(await eventCommand([f])).toBe(0);
    const j = JSON.parse(io.out.join(''));
    expect(j.inputs[0]).toMatchObject({ name: 'Source', kind: 'sequential' });
    expect(j.inputs[0].features[0]).toEqual({ name: 'mass', transform: 'log_normalize' });
    expect(j.particles.map((p: { name: string }) => p.name)).toEqual(['t1', 't2']);
    expect(j.event_permutations).toEqual([
      [0, 1],
      [1, 0],
    ]);
    expect(j.regressions).toEqual([]);
  });

  it('exits 1 with the line and the problem', async () => {
    const f = join(dir, 'bad.yaml');
    writeFileSync(f, TTBAR_EVENT_YAML.replace('- [ q1, q2 ]', '- [ q1, q7 ]'));
    const io = capture();
    expect(await eventCommand([f])).toBe(1);
    expect(io.out.join('')).toBe('');
    expect(io.err.join('')).toMatch(/bad\.yaml line \d+: PERMUTATIONS\/t1 names "q7"/);
    expect(await eventCommand([join(dir, 'missing.yaml')])).toBe(1);
    expect(await eventCommand([])).toBe(2);
  });
});
