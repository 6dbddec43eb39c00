import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import { TINY_SPANET_NETWORK } from '../tests/helpers/spanetTiny';

// spanet-v2 (upstream SPANet's network, loss, optimiser and lr schedule) from SPANet's own
// semi-leptonic ttH example options and event files, on its example file, loaded through
// Load run config: a RUN.json naming options_file / event_file, then the files it names.
const TTH = resolve('../shared/data/spanet_semi_leptonic_ttH_example.h5');
const UP = resolve('tests/fixtures/spanet-upstream');
const OPTIONS = join(UP, 'options_files/semi_leptonic_ttH/example.json');
const EVENT = join(UP, 'event_files/semi_leptonic_ttH.yaml');

/** Small for SwiftShader; the optimiser and the schedule stay the options file's but for a short warm-up and a quicker lr. */
const OVERRIDES = {
  ...TINY_SPANET_NETWORK,
  batch_size: 16,
  dataset_limit: 0.2,
  learning_rate: 0.004,
  learning_rate_warmup_epochs: 0.2,
  epochs: 20,
};

test("trains spanet-v2 from SPANet's ttH example options and event files loaded with a RUN.json; the loss falls", async ({
  page,
}, info) => {
  test.skip(!existsSync(TTH), `SPANet's example file is not at ${TTH}`);
  test.setTimeout(300_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const dir = info.outputPath('run');
  mkdirSync(dir, { recursive: true });
  const runJson = join(dir, 'RUN.json');
  writeFileSync(
    runJson,
    JSON.stringify({
      task: 'spanet',
      options_file: 'upstream/options_files/semi_leptonic_ttH/example.json',
      event_file: 'upstream/event_files/semi_leptonic_ttH.yaml',
      options: OVERRIDES,
      config: { evalEvents: 16 },
      // the options file's optimiser replaces this
      optimizer: { name: 'sgd', lr: 0.1 },
      data: { train: 'spanet_semi_leptonic_ttH_example.h5', option: 'spanet-events' },
      eval_every: 25,
    }),
  );

  await page.goto('/');
  await expect(page.getByTestId('gpu-adapter')).toBeVisible();
  await page.getByTestId('data-file-input').setInputFiles(TTH);
  await expect(page.getByTestId('data-summary')).toContainText('SPANet · 1000 events');
  await page.getByTestId('train-option-spanet').click();
  await expect(page.getByTestId('task-select')).toHaveValue('spanet');

  // the RUN.json alone: the page names the files it cannot open by path
  await page.getByTestId('input-load-run').setInputFiles(runJson);
  const note = page.getByTestId('run-config-note');
  await expect(note).toContainText('options_file "upstream/options_files/semi_leptonic_ttH/example.json"');
  await expect(note).toContainText('event_file "upstream/event_files/semi_leptonic_ttH.yaml"');
  await page.getByTestId('input-run-files').setInputFiles([OPTIONS, EVENT]);
  await expect(note).toContainText('loaded RUN.json with example.json, semi_leptonic_ttH.yaml');
  await expect(page.getByTestId('cfg-optionsJson')).toHaveValue(/"learning_rate_cycles": 5/);
  await expect(page.getByTestId('cfg-eventYaml')).toHaveValue(/neutrino_px/);
  await expect(page.getByTestId('cfg-model')).toHaveValue('spanet-v2');
  await expect(page.getByTestId('train-data')).toContainText('spanet_semi_leptonic_ttH_example.h5');

  await page.getByTestId('btn-create').click();
  await expect(page.getByTestId('run-state')).toHaveText('ready', { timeout: 120_000 });
  const description = page.getByTestId('run-description');
  // 200 events, 190 train: 11 batches of 16 per epoch, warm-up round(11 · 0.2) = 2 steps
  await expect(description).toContainText('optimiser AdamW, lr 0.004, weight decay 0.0002');
  await expect(description).toContainText(
    'upstream schedule 2 warm-up of 220 steps (11 per epoch × 20 epochs): cosine with 5 hard restarts',
  );
  await expect(page.getByTestId('test-loss')).toBeVisible({ timeout: 60_000 });
  const initial = Number(await page.getByTestId('test-loss').textContent());

  await page.getByTestId('btn-start').click();
  await expect.poll(async () => Number(await page.getByTestId('run-step').textContent()), { timeout: 200_000 }).toBeGreaterThan(25);
  await page.getByTestId('btn-pause').click();
  await expect(page.getByTestId('run-state')).toHaveText('paused', { timeout: 60_000 });
  await expect.poll(async () => Number(await page.getByTestId('test-loss').textContent()), { timeout: 60_000 }).toBeLessThan(initial);
  expect(errors).toEqual([]);
});
