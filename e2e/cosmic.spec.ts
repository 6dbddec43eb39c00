import { expect, test, type Page } from '@playwright/test';

/** y values of the named trace of the live metrics chart (the chart keeps its drawn lines on the div). */
async function series(page: Page, name: string): Promise<number[]> {
  return page.getByTestId('metrics-chart').evaluate((el, n) => {
    const traces = (el as unknown as { data?: { name?: string; y?: number[] }[] }).data ?? [];
    return [...(traces.find((t) => t.name === n)?.y ?? [])];
  }, name);
}

test('cosmic tagging: a larcv3 file is loaded, the CosmicTagger UResNet (small preset: batch norm, bilinear, leaky ReLU) trains on it and the cosmic IoU rises on the live plot', async ({
  page,
}) => {
  // Three planes through shared modules one after another (as upstream): ~0.2 steps/s on SwiftShader.
  test.setTimeout(720_000);
  const consoleErrors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  await page.goto('/');
  await expect(page.getByTestId('gpu-adapter')).toBeVisible();

  // The CosmicTagger-style demo file: sparse2d sbndwire (charge) + sbnd_cosmicseg (labels).
  await page.getByTestId('data-demo-cosmic_demo.h5').click();
  await page.getByTestId('stream-split').fill('0.8'); // the file streams: 16 entries train, 4 validate
  await page.getByTestId('train-option-cosmic-uresnet').click();
  await expect(page.getByTestId('task-select')).toHaveValue('cosmic-uresnet');
  await expect(page.getByTestId('train-data')).toContainText('sbnd_cosmicseg');
  await page.getByTestId('cfg-downsample').fill('2'); // 128×128 planes → 32×32
  await expect(page.getByTestId('cfg-network')).toHaveValue('small');
  await page.getByTestId('btn-create').click();
  await expect(page.getByTestId('run-state')).toHaveText('ready', { timeout: 120_000 });
  await expect(page.getByTestId('run-description')).toContainText(
    'streaming 16 training events per epoch, validating on 4 events of cosmic_demo.h5; 3×32×32',
  );

  // The untrained network's test cosmic IoU, from the initial evaluation.
  await page.getByTestId('metric-select').selectOption('Average/Cosmic_IoU');
  await expect.poll(async () => (await series(page, 'test Average/Cosmic_IoU')).length).toBeGreaterThan(0);
  const initial = (await series(page, 'test Average/Cosmic_IoU'))[0];

  await page.getByTestId('btn-start').click();
  await expect(page.getByTestId('run-state')).toHaveText('running');
  await expect.poll(async () => Number(await page.getByTestId('run-step').textContent()), { timeout: 420_000 }).toBeGreaterThan(60);
  await page.getByTestId('btn-pause').click();
  await expect(page.getByTestId('run-state')).toHaveText('paused');

  // Pausing evaluates: the test cosmic IoU must have risen clearly above the untrained value.
  await expect.poll(async () => (await series(page, 'test Average/Cosmic_IoU')).length, { timeout: 120_000 }).toBeGreaterThan(1);
  const after = (await series(page, 'test Average/Cosmic_IoU')).at(-1)!;
  expect(after).toBeGreaterThan(initial + 0.1);
  // The training series is plotted too (under CosmicTagger's names), and the event display shows its three layers.
  expect((await series(page, 'train Average/Cosmic_IoU')).length).toBeGreaterThan(5);
  for (const id of ['cosmic-input', 'cosmic-truth', 'cosmic-prediction']) await expect(page.getByTestId(`figure-${id}`)).toBeVisible();
  // The trained network exports to ONNX, run in onnxruntime-web in the worker against the engine.
  await page.getByTestId('btn-export-onnx').click();
  await expect(page.getByTestId('export-result')).toContainText('.onnx');
  await expect(page.getByTestId('export-check')).toContainText('onnxruntime-web agrees');
  expect(consoleErrors.filter((e) => !e.includes('favicon'))).toEqual([]);
});
