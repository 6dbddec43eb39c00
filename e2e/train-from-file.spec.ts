import { expect, test, type Page } from '@playwright/test';

async function loadDemo(page: Page, name: string) {
  await page.getByTestId(`data-demo-${name}`).click();
  await expect(page.locator(`[data-testid="train-from-file"][data-file="${name}"]`)).toBeVisible();
}

async function trainFewSteps(page: Page, steps: number) {
  await page.getByTestId('btn-create').click();
  await expect(page.getByTestId('run-state')).toHaveText('ready', { timeout: 120_000 });
  await page.getByTestId('cfg-lr').fill('0.003');
  for (let i = 0; i < steps; i++) {
    await page.getByTestId('btn-step').click();
    await expect(page.getByTestId('run-step')).toHaveText(String(i + 1), { timeout: 120_000 });
  }
  await expect(page.getByTestId('train-loss')).toBeVisible();
  expect(Number(await page.getByTestId('train-loss').textContent())).toBeGreaterThan(0);
}

// Cosmic tagging from a larcv3 file is covered by cosmic.spec.ts, SPANet from a file by spanet-tth.spec.ts.
test('larcv3 cluster2d and generic HDF5 hits train clustering; SPANet jets and generic HDF5 jagged sets train Deep Sets', async ({
  page,
}) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/');
  await expect(page.getByTestId('gpu-adapter')).toBeVisible();

  await loadDemo(page, 'larcv3_demo.h5');
  await page.getByTestId('train-option-oc-clustering').first().click(); // cluster2d (cluster3d is second)
  await expect(page.getByTestId('task-select')).toHaveValue('oc-clustering');
  await expect(page.getByTestId('train-data')).toContainText('cluster2d');
  await trainFewSteps(page, 2);

  await loadDemo(page, 'hits_demo.h5');
  await page.getByTestId('train-option-oc-clustering').click();
  await expect(page.getByTestId('train-data')).toContainText('/hits/object_id');
  await trainFewSteps(page, 2);
  await expect(page.getByTestId('run-description')).toContainText(
    'streaming 95 training entries per epoch, validating on 5 entries of hits_demo.h5',
  );

  await loadDemo(page, 'spanet_demo.h5');
  await page.getByTestId('train-option-deepsets').first().click();
  await expect(page.getByTestId('task-select')).toHaveValue('deepsets');
  await trainFewSteps(page, 2);
  await expect(page.getByTestId('run-description')).toContainText('spanet_demo.h5');

  await loadDemo(page, 'sets_demo.h5');
  await expect(page.getByTestId('train-from-file')).toContainText('/target');
  await page.getByTestId('train-option-deepsets').first().click();
  await expect(page.getByTestId('train-data')).toContainText('sets_demo.h5');
  await trainFewSteps(page, 2);
  await expect(page.getByTestId('run-description')).toContainText('sets_demo.h5');
  expect(errors).toEqual([]);
});
