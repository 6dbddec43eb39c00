import { expect, test } from '@playwright/test';

test("cosmic tagging: the evaluation shows the test set's confusion matrix and the full-resolution event display, which zooms and pans", async ({
  page,
}) => {
  test.setTimeout(300_000);
  const consoleErrors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  await page.goto('/');
  await expect(page.getByTestId('gpu-adapter')).toBeVisible();
  await page.getByTestId('data-demo-cosmic_demo.h5').click();
  await page.getByTestId('train-option-cosmic-uresnet').click();
  // The demo's 128×128 planes at full resolution (downsample 0): the display draws every pixel.
  await page.getByTestId('cfg-downsample').fill('0');
  await page.getByTestId('btn-create').click();
  await expect(page.getByTestId('run-state')).toHaveText('ready', { timeout: 180_000 });

  // The initial evaluation: CosmicTagger's metric names, the confusion matrix and the display.
  await expect(page.getByTestId('test-Average/Cosmic_IoU')).toBeVisible({ timeout: 120_000 });
  await expect(page.getByTestId('figure-cosmic-confusion')).toBeVisible();
  // Plotly draws the 3×3 cells with their text: row fraction and count.
  await expect(page.getByTestId('figure-cosmic-confusion').locator('.hm')).toHaveCount(1);
  await expect(page.getByTestId('figure-cosmic-confusion')).toContainText(/\d\.\d{3} \([\d,]+\)/);
  await expect(page.getByTestId('figure-cosmic-confusion')).toContainText('neutrino');
  const display = page.getByTestId('figure-cosmic-event');
  await expect(display).toBeVisible();
  for (const id of ['cosmic-input', 'cosmic-truth', 'cosmic-prediction']) {
    const layer = page.getByTestId(`figure-${id}`);
    await expect(layer).toHaveAttribute('data-width', '128');
    await expect(layer.locator('canvas')).toHaveCount(3);
  }
  // The truth layer is painted: some pixel of plane 0 is not black.
  const painted = await page
    .getByTestId('figure-cosmic-truth')
    .locator('canvas')
    .first()
    .evaluate((c: HTMLCanvasElement) => {
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let lit = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] > 100 || d[i + 2] > 100) lit++;
      return lit;
    });
  expect(painted).toBeGreaterThan(0);

  // Wheel zooms in at the cursor (the zoom read-out grows); double-click fits again.
  const zoom = page.getByTestId('figure-cosmic-event-zoom');
  const before = parseFloat((await zoom.textContent()) ?? '');
  const canvas = page.getByTestId('figure-cosmic-input').locator('canvas').first();
  await canvas.scrollIntoViewIfNeeded();
  const box = (await canvas.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  for (let i = 0; i < 5; i++) await page.mouse.wheel(0, -300);
  await expect.poll(async () => parseFloat((await zoom.textContent()) ?? '')).toBeGreaterThan(2 * before);
  // Drag pans (the view moves, the zoom stays).
  const zoomed = await zoom.textContent();
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 + 40, box.y + box.height / 2 + 20, { steps: 4 });
  await page.mouse.up();
  await expect(zoom).toHaveText(zoomed!);
  await canvas.dblclick();
  await expect.poll(async () => parseFloat((await zoom.textContent()) ?? '')).toBeCloseTo(before, 3);
  expect(consoleErrors.filter((e) => !e.includes('favicon'))).toEqual([]);
});
