import { expect, test } from '@playwright/test';

// FIRST_SCREEN_PNG=docs/first-screen.png npx playwright test e2e/gallery.spec.ts refreshes the README's screenshot.
test('first screen: the task gallery (screenshot in test-results, or FIRST_SCREEN_PNG)', async ({ page }, testInfo) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto('/');
  await expect(page.getByTestId('gpu-adapter')).toBeVisible();
  const gallery = page.getByTestId('task-gallery');
  await expect(gallery).toBeVisible();
  // The physics tasks first, the engine demo last, then the Data panel's drop zone.
  const cards = gallery.locator('.gallery-card b');
  await expect(cards).toHaveText([
    'Deep Sets',
    'Object condensation clustering',
    'Cosmic tagging',
    'SPANet jet-parton assignment',
    'Engine demo (MLP regression)',
  ]);
  await expect(page.getByTestId('data-dropzone')).toBeInViewport();
  // No empty chart on the first screen.
  await expect(page.getByTestId('metrics-chart')).toHaveCount(0);
  await page.screenshot({ path: process.env.FIRST_SCREEN_PNG ?? testInfo.outputPath('first-screen.png') });
});

test('gallery: the cosmic card loads its demo file, selects cosmic tagging with its preset, and Create works', async ({ page }) => {
  const consoleErrors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  await page.goto('/');
  await expect(page.getByTestId('gpu-adapter')).toBeVisible();
  await page.getByTestId('gallery-cosmic-uresnet').click();

  // The file is loaded through the Data panel and attached to the task.
  await expect(page.locator('[data-testid="data-file"][data-file-name="cosmic_demo.h5"]')).toHaveAttribute('data-status', 'ready');
  await expect(page.getByTestId('task-select')).toHaveValue('cosmic-uresnet');
  await expect(page.getByTestId('train-data')).toContainText('cosmic_demo.h5');
  await expect(page.getByTestId('task-gallery')).toHaveCount(0);
  // The preset for the demo's 128×128 planes, and the synthetic-only fields hidden.
  await expect(page.getByTestId('cfg-downsample')).toHaveValue('2');
  for (const key of ['trainEvents', 'testEvents', 'imageSize']) await expect(page.getByTestId(`cfg-${key}`)).toHaveCount(0);

  // Limits are enforced with a message, not clamped: Create waits until the field is fixed.
  await page.getByTestId('cfg-downsample').fill('9');
  await expect(page.getByTestId('cfg-downsample-error')).toHaveText('must be between 0 and 6');
  await expect(page.getByTestId('btn-create')).toBeDisabled();
  await page.getByTestId('cfg-downsample').fill('2');
  await expect(page.getByTestId('cfg-downsample-error')).toHaveCount(0);

  await page.getByTestId('btn-create').click();
  await expect(page.getByTestId('run-state')).toHaveText('ready', { timeout: 120_000 });
  await expect(page.getByTestId('run-description')).toContainText('3×32×32 (128×128 downsampled by 4 on the GPU)');
  // The untrained network's evaluation reaches the live chart.
  await expect(page.getByTestId('metrics-chart').locator('canvas').first()).toBeVisible();

  // Back to the gallery: the engine demo card uses the built-in data and shows its fields again.
  await page.getByTestId('btn-show-gallery').click();
  await page.getByTestId('gallery-toy-mlp').click();
  await expect(page.getByTestId('task-select')).toHaveValue('toy-mlp');
  await expect(page.getByTestId('train-data')).toContainText('built-in demo data');
  expect(consoleErrors.filter((e) => !e.includes('favicon'))).toEqual([]);
});
