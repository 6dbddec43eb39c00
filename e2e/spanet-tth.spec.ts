import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect, test } from '@playwright/test';

// SPANet's own example file (BSD-3), kept beside the repository in shared/data.
// Playwright runs from the repository root (playwright.config.ts).
const TTH = resolve('../shared/data/spanet_semi_leptonic_ttH_example.h5');

test('SPANet trains on its semi-leptonic ttH example file and the assignment accuracy rises', async ({ page }) => {
  test.skip(!existsSync(TTH), `SPANet's example file is not at ${TTH}`);
  test.setTimeout(360_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/');
  await expect(page.getByTestId('gpu-adapter')).toBeVisible();

  await page.getByTestId('data-file-input').setInputFiles(TTH);
  await expect(page.getByTestId('data-summary')).toContainText('SPANet · 1000 events');
  await page.getByTestId('train-option-spanet').click();
  await expect(page.getByTestId('task-select')).toHaveValue('spanet');
  // the workbench's small model (its ONNX export and learning speed); e2e/spanet-v2.spec.ts trains upstream's
  await page.getByTestId('cfg-model').selectOption('simple');
  await expect(page.getByTestId('train-data')).toContainText('spanet_semi_leptonic_ttH_example.h5');
  for (const [key, value] of [
    ['evalEvents', '96'],
    ['batchSize', '16'],
    ['width', '16'],
    ['layers', '1'],
    ['heads', '2'],
    ['assignDim', '6'],
    ['lr', '0.004'],
  ]) {
    await page.getByTestId(`cfg-${key}`).fill(value);
  }
  await page.getByTestId('btn-create').click();
  await expect(page.getByTestId('run-state')).toHaveText('ready', { timeout: 120_000 });
  // The event description inferred from the file: particles h, ht, lt with their products.
  await expect(page.getByTestId('run-description')).toContainText('ht(b,q1,q2)');
  await expect(page.getByTestId('test-particle purity')).toBeVisible({ timeout: 60_000 });
  const initial = Number(await page.getByTestId('test-particle purity').textContent());

  await page.getByTestId('btn-start').click();
  await expect.poll(async () => Number(await page.getByTestId('run-step').textContent()), { timeout: 240_000 }).toBeGreaterThan(60);
  await page.getByTestId('btn-pause').click();
  await expect(page.getByTestId('run-state')).toHaveText('paused', { timeout: 60_000 });
  await expect
    .poll(async () => Number(await page.getByTestId('test-particle purity').textContent()), { timeout: 90_000 })
    .toBeGreaterThan(initial + 0.05);
  expect(errors).toEqual([]);
});
