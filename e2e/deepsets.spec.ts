import { expect, test } from '@playwright/test';

// Deep Sets trained live in the browser worker on SwiftShader: a small model and few sets
// keep a step around a second; the toy data still has sets of up to 401 elements.
test('trains a Deep Set on the toy sets, watches the loss fall, exports a verified ONNX model', async ({ page }) => {
  const consoleErrors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  await page.goto('/');
  await expect(page.getByTestId('gpu-adapter')).toBeVisible();

  await page.getByTestId('task-select').selectOption('deepsets');
  for (const [key, value] of [
    ['phiWidth', '16'],
    ['phiDepth', '2'],
    ['rhoWidth', '16'],
    ['rhoDepth', '1'],
    ['trainSets', '12'],
    ['testSets', '10'],
    ['batchCapacity', '4096'],
    ['lr', '0.003'],
  ]) {
    await page.getByTestId(`cfg-${key}`).fill(value);
  }
  await page.getByTestId('btn-create').click();
  await expect(page.getByTestId('run-state')).toHaveText('ready', { timeout: 120_000 });
  await expect(page.getByTestId('run-description')).toContainText('12 train / 10 test sets');
  await expect(page.getByTestId('run-description')).toContainText('padding');
  await expect(page.getByTestId('test-loss')).toBeVisible();
  const initialTest = Number(await page.getByTestId('test-loss').textContent());

  await page.getByTestId('btn-start').click();
  await expect(page.getByTestId('run-state')).toHaveText('running');
  // The first readback (10 steps) gives the first train loss; later ones must be lower.
  await expect(page.getByTestId('train-loss')).toBeVisible({ timeout: 180_000 });
  const firstStep = Number(await page.getByTestId('run-step').textContent());
  const firstLoss = Number(await page.getByTestId('train-loss').textContent());
  await expect
    .poll(async () => Number(await page.getByTestId('run-step').textContent()), { timeout: 180_000 })
    .toBeGreaterThan(firstStep + 20);
  await expect
    .poll(async () => Number(await page.getByTestId('train-loss').textContent()), { timeout: 120_000 })
    .toBeLessThan(firstLoss * 0.7);
  await expect(page.getByTestId('metrics-chart').locator('canvas').first()).toBeVisible();

  await page.getByTestId('btn-pause').click();
  await expect(page.getByTestId('run-state')).toHaveText('paused', { timeout: 60_000 });
  await expect.poll(async () => Number(await page.getByTestId('test-loss').textContent())).toBeLessThan(initialTest);
  await expect(page.getByTestId('figure-pred-vs-truth')).toBeVisible();

  // The export runs the ONNX model in onnxruntime-web inside the worker and compares it with
  // the engine's predictions on the test sets; a mismatch would surface as an error instead.
  await page.getByTestId('btn-export-onnx').click();
  await expect(page.getByTestId('export-result')).toContainText('.onnx', { timeout: 120_000 });
  const href = await page.getByTestId('export-result').locator('a').getAttribute('href');
  const meta = await page.evaluate(async (url) => {
    const bytes = new Uint8Array(await (await fetch(url!)).arrayBuffer());
    const text = new TextDecoder('latin1').decode(bytes);
    const m = /physml\.max_abs_diff\x12.([0-9.e+-]+)/.exec(text);
    return { size: bytes.length, diff: m ? Number(m[1]) : null };
  }, href);
  expect(meta.size).toBeGreaterThan(1000);
  expect(meta.diff).not.toBeNull();
  expect(meta.diff!).toBeLessThan(1e-3);
  await expect(page.getByTestId('export-check')).toContainText('onnxruntime-web agrees');
  expect(consoleErrors.filter((e) => !e.includes('favicon'))).toEqual([]);
});
