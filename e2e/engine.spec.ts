import { expect, test } from '@playwright/test';

test('finds the WebGPU adapter and trains the demo model in the worker', async ({ page }) => {
  const consoleErrors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  await page.goto('/');
  await expect(page.getByTestId('gpu-adapter')).toBeVisible();
  await expect(page.getByTestId('webgpu-missing')).toHaveCount(0);

  await page.getByTestId('btn-create').click();
  await expect(page.getByTestId('run-state')).toHaveText('ready');
  // The initial evaluation gives the untrained test loss.
  await expect(page.getByTestId('test-loss')).toBeVisible();
  const initialTest = Number(await page.getByTestId('test-loss').textContent());

  await page.getByTestId('btn-step').click();
  await expect(page.getByTestId('run-step')).toHaveText('1');
  await expect(page.getByTestId('train-loss')).toBeVisible();

  await page.getByTestId('btn-start').click();
  await expect(page.getByTestId('run-state')).toHaveText('running');
  await expect.poll(async () => Number(await page.getByTestId('run-step').textContent()), { timeout: 120_000 }).toBeGreaterThan(120);
  await page.getByTestId('btn-pause').click();
  await expect(page.getByTestId('run-state')).toHaveText('paused');
  // Evaluation after pausing: the test loss must have fallen well below the untrained one.
  await expect.poll(async () => Number(await page.getByTestId('test-loss').textContent())).toBeLessThan(initialTest / 3);
  await expect(page.getByTestId('metrics-chart').locator('canvas').first()).toBeVisible();
  expect(consoleErrors.filter((e) => !e.includes('favicon'))).toEqual([]);
});
