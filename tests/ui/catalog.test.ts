import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BALANCE_SCHEMES } from '../../src/losses/segmentation';
import { TASK_CATALOG, taskSpec } from '../../src/tasks/catalog';
import { TASKS } from '../../src/tasks';

describe('task catalogue (what the page knows of the tasks)', () => {
  it('lists the implemented tasks in the same order with the same ids, fields, defaults and optimiser settings', () => {
    expect(TASK_CATALOG.map((t) => t.id)).toEqual(TASKS.map((t) => t.id));
    for (const def of TASKS) {
      const spec = taskSpec(def.id);
      expect(spec.label).toBe(def.label);
      expect(spec.fields).toEqual(def.fields);
      expect(spec.defaults).toEqual(def.defaults);
      expect(spec.optimizer).toEqual(def.optimizer);
      expect('create' in spec).toBe(false);
      // Every field has a default of its kind, and defaults respect the field's limits.
      for (const f of spec.fields) {
        const v = spec.defaults[f.key];
        if (f.kind === 'number' || f.kind === 'int') {
          expect(typeof v, f.key).toBe('number');
          if (f.min !== undefined) expect(v as number).toBeGreaterThanOrEqual(f.min);
          if (f.max !== undefined) expect(v as number).toBeLessThanOrEqual(f.max);
        }
        if (f.kind === 'select') expect(f.options, f.key).toContain(String(v));
      }
    }
    expect(() => taskSpec('nope')).toThrow(/unknown task "nope"/);
  });

  it("the cosmic spec's loss-balance options are the loss's own schemes", () => {
    const f = taskSpec('cosmic-uresnet').fields.find((x) => x.key === 'balance');
    expect(f?.kind === 'select' && f.options).toEqual([...BALANCE_SCHEMES]);
  });

  it('the page (src/main.tsx and all it imports, type-only imports aside) reaches no kernel, engine or task implementation', () => {
    const root = resolve(__dirname, '../..');
    const seen = new Set<string>();
    const forbidden: string[] = [];
    const visit = (file: string, from: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const rel = file.slice(root.length + 1);
      // The engine and what runs it: kernels, the tape, the trainer, the task implementations.
      // (Import-free helpers elsewhere, e.g. src/nn/stateDict.ts, are plain data code.)
      if (/^src\/(tensor|gpu|train\/(trainer|optim)|tasks\/(index|[a-z]+\/task))\b/.test(rel) || /^shaders\/|\.wgsl$/.test(rel)) {
        forbidden.push(`${rel} (from ${from})`);
        return;
      }
      const text = readFileSync(file, 'utf8');
      // Static and dynamic value imports; `import type` and `export type` are erased.
      const specs = [
        ...text.matchAll(/^\s*(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm),
        ...text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g),
      ].map((m) => m[1]);
      for (const s of specs) {
        if (!s.startsWith('.')) continue;
        const base = resolve(dirname(file), s.replace(/\?.*$/, ''));
        const found = [base, `${base}.ts`, `${base}.tsx`, join(base, 'index.ts')].find((p) => {
          try {
            return readFileSync(p) && !p.endsWith('/');
          } catch {
            return false;
          }
        });
        if (found && /\.(ts|tsx)$/.test(found)) visit(found, rel);
      }
    };
    visit(join(root, 'src/main.tsx'), 'index.html');
    expect(seen.size).toBeGreaterThan(20);
    expect(forbidden).toEqual([]);
    // And the house rule: src/ui and src/state import nothing from the engine's folders, types included.
    const direct = [...seen]
      .map((f) => f.slice(root.length + 1))
      .filter((r) => /^src\/(ui|state)\//.test(r))
      .filter((r) => /from\s+['"](\.\.\/)+(tensor|gpu|nn|losses)\//.test(readFileSync(join(root, r), 'utf8')));
    expect(direct).toEqual([]);
  });
});

describe("the page's error lines", () => {
  it('match the GPU error log formatting used by the worker side', async () => {
    const page = await import('../../src/train/errorLines');
    const gpu = await import('../../src/gpu/errorLog');
    const r = { message: 'Invalid BindGroup', kernel: 'adam.wgsl#adam_step', count: 3 };
    expect(page.formatGpuError(r)).toBe(gpu.formatGpuError(r));
    expect(page.formatGpuError({ ...r, kernel: null, count: 1 })).toBe(gpu.formatGpuError({ ...r, kernel: null, count: 1 }));
    const lines = Array.from({ length: 49 }, (_, i) => `l${i}`);
    expect(page.appendErrorLines(lines, ['a', 'b'], 4)).toEqual(gpu.appendErrorLines(lines, ['a', 'b'], 4));
  });
});
