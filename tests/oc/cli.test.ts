/** The oc-loss CLI end to end: a small event file in, upstream's numbers out (fixtures). */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectClose } from '../helpers/opcheck';
import { parseEvent } from '../../src/cli/oc-loss';
import { BETA_MAX } from '../../src/losses/oc';
import { maxAbs } from './check';

const root = new URL('../../', import.meta.url).pathname;
const golden = JSON.parse(readFileSync(new URL('./fixtures/upstream_golden.json', import.meta.url), 'utf8')).events;
const TERMS = ['attractive', 'repulsive', 'coward', 'noise'];

const BIN = join(root, 'bin/physml.mjs');

function runCli(file: string) {
  return spawnSync(process.execPath, [BIN, 'oc-loss', file], { cwd: root, encoding: 'utf8', timeout: 60_000 });
}

/**
 * stdout through a real pipe (a shell `|`, as in `oc-loss e.json | jq .`) whose reader starts
 * late: a pipe holds 64 KiB, the rest is written asynchronously after that. (Node's own
 * spawn pipes are socket pairs with larger buffers, which would hide the bug.)
 */
function readPipe(args: string[]) {
  const script = '{ "$0" "$@"; echo "exit=$?" >&2; } | { sleep 0.5; cat; }';
  const r = spawnSync('sh', ['-c', script, process.execPath, BIN, ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
    maxBuffer: 64 << 20,
  });
  const code = /exit=(\d+)/.exec(r.stderr)?.[1];
  return { code: code === undefined ? null : Number(code), stdout: r.stdout, stderr: r.stderr };
}

/** A seeded event with n hits in k objects (id 0 = noise). */
function bigEvent(n: number, k: number) {
  let s = 12345;
  const rand = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return {
    beta: Array.from({ length: n }, () => 0.95 * rand()),
    x: Array.from({ length: n }, () => [2 * rand() - 1, 2 * rand() - 1]),
    object_id: Array.from({ length: n }, () => Math.floor(rand() * (k + 1))),
    q_min: 0.1,
    noise_threshold: 0,
  };
}

describe('oc-loss CLI', () => {
  it('prints the default and tiger losses and per-term gradients of an event file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'oc-cli-'));
    const g = golden.find((x: { name: string }) => x.name === 'no noise'); // NaN noise → null
    const file = join(dir, 'event.json');
    writeFileSync(
      file,
      JSON.stringify({
        beta: g.beta,
        x: g.x,
        object_id: g.object_id,
        weights: g.weights,
        q_min: g.q_min,
        noise_threshold: g.noise_threshold,
      }),
    );
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

  it('writes all of a large result into a slow pipe (no exit before stdout drains)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'oc-cli-'));
    const file = join(dir, 'big.json');
    writeFileSync(file, JSON.stringify(bigEvent(1200, 20)));
    const r = readPipe(['oc-loss', file]);
    expect(r.code, r.stderr).toBe(0);
    // 4 terms × 1200 × (1 + 2) gradient values: well past one 64 KiB pipe buffer.
    expect(r.stdout.length).toBeGreaterThan(2 * 65536);
    const out = JSON.parse(r.stdout);
    expect(out.grad.default.attractive.x).toHaveLength(1200);
    expect(out.beta_clamp.hits).toEqual([]);
  });

  it('rejects null, strings, β outside [0, 1] and values beyond float32, naming the field and index', () => {
    const ok = {
      beta: [0.5, 0.2, 0.9],
      x: [
        [0, 0],
        [1, 0],
        [0, 1],
      ],
      object_id: [1, 1, 2],
      q_min: 0.1,
    };
    const bad = (patch: object) => () => parseEvent(JSON.stringify({ ...ok, ...patch }));
    expect(parseEvent(JSON.stringify(ok)).beta).toEqual(ok.beta);
    expect(
      bad({
        x: [
          [0, 0],
          [1, null],
          [0, 1],
        ],
      }),
    ).toThrow(/^x\[1\]\[1\]: expected a number, got null$/);
    expect(bad({ beta: [0.5, null, 0.9] })).toThrow(/^beta\[1\]: expected a number, got null$/);
    expect(bad({ beta: [0.5, '0.2', 0.9] })).toThrow(/^beta\[1\]: expected a number, got the string "0\.2"$/);
    expect(bad({ beta: [0.5, 0.2, 1.5] })).toThrow(/^beta\[2\]: 1\.5 is outside \[0, 1\]$/);
    expect(bad({ beta: [-0.1, 0.2, 0.9] })).toThrow(/^beta\[0\]: -0\.1 is outside \[0, 1\]$/);
    expect(
      bad({
        x: [
          [0, 0],
          [1, 0],
          [0, 1e39],
        ],
      }),
    ).toThrow(/^x\[2\]\[1\]: 1e\+39 does not fit in float32/);
    expect(bad({ weights: [1, 'a', 1] })).toThrow(/^weights\[1\]: expected a number, got the string "a"$/);
    expect(bad({ object_id: [1, 1.5, 2] })).toThrow(/^object_id\[1\]: expected an integer/);
    expect(bad({ x: [[0, 0], 3, [0, 1]] })).toThrow(/^x\[1\]: expected an array of coordinates, got 3$/);
    expect(bad({ q_min: 1e40 })).toThrow(/^q_min: 1e\+40 does not fit in float32/);
  });

  it('reports the hits whose β = 1 is clamped, and a bad value with exit code 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'oc-cli-'));
    const file = join(dir, 'one.json');
    writeFileSync(
      file,
      JSON.stringify({
        beta: [1, 0.2, 0.9, 0.1],
        x: [
          [0, 0],
          [0.1, 0],
          [1, 1],
          [1.1, 1],
        ],
        object_id: [1, 1, 2, 2],
        q_min: 0.1,
      }),
    );
    const r = runCli(file);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.beta_clamp).toEqual({ beta_max: BETA_MAX, hits: [0] });
    expect(r.stderr).toMatch(/β = 1 at 1 hit\(s\) clamped to 0\.99999994/);
    writeFileSync(
      file,
      JSON.stringify({
        beta: [0.5, null],
        x: [
          [0, 0],
          [1, 1],
        ],
        object_id: [1, 1],
        q_min: 0.1,
      }),
    );
    const b = runCli(file);
    expect(b.status).toBe(1);
    expect(b.stderr).toContain(`${file}: beta[1]: expected a number, got null`);
  });
});
