/** `physml inspect`: path errors without stack traces, paths relative to the caller's directory. */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { callerCwd } from '../../src/cli/paths';
import { physml, ROOT, tempDir } from './physml';

const DEMO = join(ROOT, 'public/demo/hits_demo.h5');
const noStack = (s: string) => expect(s).not.toMatch(/\n\s+at |node:internal/);

describe('physml inspect', () => {
  it('explains a directory, a missing file and a non-HDF5 file with the path it tried', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'data'));
    writeFileSync(join(dir, 'notes.h5'), 'just text');
    const cases: [string, string][] = [
      ['data', `inspect: ${join(dir, 'data')}: is a directory, expected an HDF5 file`],
      ['missing.h5', `inspect: ${join(dir, 'missing.h5')}: file not found`],
      ['notes.h5', `inspect: ${join(dir, 'notes.h5')}: error [not-hdf5]`],
    ];
    for (const [arg, message] of cases) {
      const r = physml(['inspect', arg], { cwd: dir });
      expect(r.status, arg).toBe(1);
      expect(r.stderr, arg).toContain(message);
      noStack(r.stderr);
    }
  });

  it('resolves a relative path against the directory it is run from', () => {
    const dir = tempDir();
    copyFileSync(DEMO, join(dir, 'copy.h5'));
    const r = physml(['inspect', 'copy.h5'], { cwd: dir });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/kind: generic/);
  });

  it("under its npm script (run in the package root) resolves against the caller's INIT_CWD", () => {
    const dir = tempDir();
    copyFileSync(DEMO, join(dir, 'copy.h5'));
    const env = { npm_lifecycle_script: 'node bin/physml.mjs inspect', INIT_CWD: dir };
    const r = physml(['inspect', 'copy.h5'], { cwd: ROOT, env });
    expect(r.status, r.stderr).toBe(0);
    expect(callerCwd(env)).toBe(dir);
    // Another npm script's INIT_CWD is not ours to follow.
    expect(callerCwd({ npm_lifecycle_script: 'vitest run', INIT_CWD: dir })).toBe(process.cwd());
  });

  it('prints help, and names an unknown command', () => {
    expect(physml(['help']).stdout).toMatch(/physml train RUN\.json/);
    const r = physml(['fit']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown command "fit" \(commands: train, export, evaluate, inspect, oc-loss, event, help\)/);
  });
});
