import { expect, test } from '@playwright/test';

test('without WebGPU the page says so plainly and keeps working', async ({ page }) => {
  await page.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true });
  });
  await page.goto('/');
  const banner = page.getByTestId('webgpu-missing');
  await expect(banner).toBeVisible();
  await expect(banner).toContainText('WebGPU is not available');
  await expect(banner).toContainText('--enable-unsafe-webgpu');
  await expect(page.getByTestId('btn-create')).toBeDisabled();
});
