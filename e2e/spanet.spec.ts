import { expect, test } from '@playwright/test';

// SPANet trained live in the browser worker on SwiftShader with a small model on the
// built-in synthetic tt̄ events: the test purity must rise, and the ONNX export must work.
test('trains SPANet on synthetic tt̄, assignment purity rises, exports ONNX', async ({ page }) => {
  test.setTimeout(300_000);
  const consoleErrors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  await page.goto('/');
  await expect(page.getByTestId('gpu-adapter')).toBeVisible();

  await page.getByTestId('task-select').selectOption('spanet');
  // the workbench's small model (its ONNX export and learning speed); e2e/spanet-v2.spec.ts trains upstream's
  await page.getByTestId('cfg-model').selectOption('simple');
  for (const [key, value] of [
    ['demoEvents', '512'],
    ['maxJets', '7'],
    ['evalEvents', '96'],
    ['batchSize', '16'],
    ['width', '16'],
    ['layers', '1'],
    ['heads', '2'],
    ['assignDim', '8'],
    ['lr', '0.004'],
  ]) {
    await page.getByTestId(`cfg-${key}`).fill(value);
  }
  await page.getByTestId('btn-create').click();
  await expect(page.getByTestId('run-state')).toHaveText('ready', { timeout: 120_000 });
  await expect(page.getByTestId('run-description')).toContainText('synthetic tt̄');
  await expect(page.getByTestId('test-particle purity')).toBeVisible({ timeout: 60_000 });
  const initial = Number(await page.getByTestId('test-particle purity').textContent());

  await page.getByTestId('btn-start').click();
  await expect(page.getByTestId('run-state')).toHaveText('running');
  await expect.poll(async () => Number(await page.getByTestId('run-step').textContent()), { timeout: 240_000 }).toBeGreaterThan(60);
  await page.getByTestId('btn-pause').click();
  await expect(page.getByTestId('run-state')).toHaveText('paused', { timeout: 60_000 });
  // After pausing the task evaluates on the held-out events with the greedy reconstruction.
  await expect
    .poll(async () => Number(await page.getByTestId('test-particle purity').textContent()), { timeout: 60_000 })
    .toBeGreaterThan(Math.max(0.2, initial + 0.1));
  await expect(page.getByTestId('figure-purity-by-jets')).toBeVisible();

  await page.getByTestId('btn-export-onnx').click();
  await expect(page.getByTestId('export-result')).toContainText('.onnx', { timeout: 120_000 });
  await expect(page.getByTestId('export-check')).toContainText('onnxruntime-web agrees');
  expect(consoleErrors.filter((e) => !e.includes('favicon'))).toEqual([]);
});
