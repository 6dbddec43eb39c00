/** The oc-loss CLI end to end: a small event file in, upstream's numbers out (fixtures). */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectClose } from '../helpers/opcheck';
import { maxAbs } from './check';

const root = new URL('../../', import.meta.url).pathname;
const golden = JSON.parse(readFileSync(new URL('./fixtures/upstream_golden.json', import.meta.url), 'utf8')).events;
const TERMS = ['attractive', 'repulsive', 'coward', 'noise'];

function runCli(file: string) {
  return spawnSync(join(root, 'node_modules/.bin/tsx'), ['--import', './scripts/raw-loader.mjs', 'src/cli/oc-loss.ts', file], {
    cwd: root, encoding: 'utf8', timeout: 60_000,
  });
}

describe('oc-loss CLI', () => {
  it('prints the default and tiger losses and per-term gradients of an event file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'oc-cli-'));
    const g = golden.find((x: { name: string }) => x.name === 'no noise'); // NaN noise → null
    const file = join(dir, 'event.json');
    writeFileSync(file, JSON.stringify({ beta: g.beta, x: g.x, object_id: g.object_id, weights: g.weights, q_min: g.q_min, noise_threshold: g.noise_threshold }));
    const r = runCli(file);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    for (const part of ['default', 'tiger']) {
      for (const t of TERMS) {
        if (g.default[t] === null) expect(out[part][t]).toBeNull();
        else expectClose([out[part][t]], [g.default[t]], 2e-5, 1e-7, `${part} ${t}`);
      }
    }
    expect(out.tiger.n_rep).toBe(g.tiger.n_rep);
    for (const [t, grad] of Object.entries(g.grad) as [string, { beta: number[]; x: number[][] }][]) {
      const scale = Math.max(maxAbs(grad.beta), maxAbs(grad.x.flat()), 1e-3);
      expectClose(out.grad.default[t].beta, grad.beta, 1e-4, 2e-5 * scale, `d${t}/dbeta`);
      expectClose(out.grad.default[t].x.flat(), grad.x.flat(), 1e-4, 2e-5 * scale, `d${t}/dx`);
    }
  });

  it('rejects a malformed file with exit code 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'oc-cli-'));
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ beta: [0.5, 0.2], x: [[0, 0]], object_id: [1, 1], q_min: 1 }));
    const r = runCli(file);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/same length/);
  });
});
