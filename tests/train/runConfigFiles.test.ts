/**
 * Load run config in the browser: a RUN.json naming options_file / event_file by path gets
 * those files from the user (chosen with it or afterwards), matched by file name, into
 * config.optionsJson / config.eventYaml; what is missing is named.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { useTrainStore } from '../../src/state/trainStore';
import { TASKS } from '../../src/tasks';
import { attachRunFiles, baseName, describeMissing, findRunJson, parseRunJson } from '../../src/train/runConfig';
import { applyRun } from '../../src/ui/train/RunConfigBar';

const UP = new URL('../fixtures/spanet-upstream/', import.meta.url);
const OPTIONS = { name: 'example.json', text: readFileSync(new URL('options_files/semi_leptonic_ttH/example.json', UP), 'utf8') };
const EVENT = { name: 'semi_leptonic_ttH.yaml', text: readFileSync(new URL('event_files/semi_leptonic_ttH.yaml', UP), 'utf8') };
const RUN = {
  name: 'RUN.json',
  text: JSON.stringify({
    task: 'spanet',
    options_file: '../options_files/semi_leptonic_ttH/example.json',
    event_file: '..\\event_files\\semi_leptonic_ttH.yaml',
    options: { hidden_dim: 8 },
    steps: 20,
  }),
};

describe('RUN.json options_file / event_file in the browser', () => {
  it('finds the RUN.json among the chosen files (the JSON with a "task" key)', () => {
    expect(findRunJson([OPTIONS, EVENT, RUN])).toBe(RUN);
    expect(findRunJson([OPTIONS, EVENT])).toBeNull();
    expect(baseName('a/b\\c.yaml')).toBe('c.yaml');
  });

  it('names what is missing, then fills the config fields from the files given later', () => {
    const rc = parseRunJson(RUN.text, TASKS);
    const first = attachRunFiles(rc, [EVENT]);
    expect(first.missing).toEqual([{ key: 'options_file', path: '../options_files/semi_leptonic_ttH/example.json', name: 'example.json' }]);
    expect(describeMissing(first.missing)).toBe('options_file "../options_files/semi_leptonic_ttH/example.json"');
    expect(first.run.config.eventYaml).toBe(EVENT.text);
    expect(first.run.event_file).toBeUndefined();
    // a file of another name does not stand in for it
    expect(attachRunFiles(first.run, [{ ...OPTIONS, name: 'other.json' }]).missing.map((m) => m.key)).toEqual(['options_file']);
    const done = attachRunFiles(first.run, [OPTIONS]);
    expect(done.missing).toEqual([]);
    expect(done.run.config.optionsJson).toBe(OPTIONS.text);
    expect(done.run.options_file).toBeUndefined();
    // the panel gets the files' text and the overrides
    expect(applyRun(done.run)).toBeNull();
    const s = useTrainStore.getState();
    expect(s.taskId).toBe('spanet');
    expect(s.config.optionsJson).toBe(OPTIONS.text);
    expect(s.config.eventYaml).toBe(EVENT.text);
    expect(JSON.parse(String(s.config.optionsOverrides))).toEqual({ hidden_dim: 8 });
    expect(s.settings.maxSteps).toBe(20);
  });

  it('both files chosen with the RUN.json leave nothing missing; equal file names are refused', () => {
    const rc = parseRunJson(RUN.text, TASKS);
    expect(attachRunFiles(rc, [OPTIONS, EVENT]).missing).toEqual([]);
    const same = parseRunJson(JSON.stringify({ task: 'spanet', options_file: 'a/x.json', event_file: 'b/x.json' }), TASKS);
    expect(() => attachRunFiles(same, [])).toThrow(/same file name "x.json"/);
    // a run without file keys is unchanged
    const plain = parseRunJson('{"task": "spanet"}', TASKS);
    expect(attachRunFiles(plain, [OPTIONS])).toEqual({ run: plain, missing: [] });
  });
});
