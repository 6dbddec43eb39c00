import { expect, test, type Page } from '@playwright/test';

/** The training worker (its bundle is assets/trainWorker-<hash>.js); the newest after a restart. */
function trainWorker(page: Page) {
  const w = page.workers().filter((x) => x.url().includes('trainWorker'));
  if (!w.length)
    throw new Error(
      `no training worker among ${page
        .workers()
        .map((x) => x.url())
        .join(', ')}`,
    );
  return w[w.length - 1];
}

const num = async (page: Page, id: string) => Number(await page.getByTestId(id).textContent());

/**
 * A crashed worker (an uncaught exception in it, as a bug would throw) and a lost GPU device
 * (GPUDevice.destroy(), which resolves device.lost as a driver reset does): each time the
 * Runs panel offers to resume from the last checkpoint, and the offer brings the run back on
 * a fresh worker and device at that step.
 */
test('after a worker crash and after a device loss the app offers to resume from the last checkpoint', async ({ page }) => {
  await page.goto('/#task=toy-mlp&hidden=16&layers=1&trainSize=512&batchSize=64&eval_every=0');
  await expect(page.getByTestId('gpu-adapter')).toBeVisible();
  await page.getByTestId('btn-create').click();
  await expect(page.getByTestId('run-state')).toHaveText('ready');
  for (let i = 1; i <= 2; i++) {
    await page.getByTestId('btn-step').click();
    await expect(page.getByTestId('run-step')).toHaveText(String(i));
    await expect(page.getByTestId('run-state')).toHaveText('paused');
  }
  const row = page.getByTestId('run-row').first();
  await expect(row.getByTestId('run-checkpoint')).toHaveText('2'); // written on each pause
  await expect(page.getByTestId('resume-offer')).toHaveCount(0);

  // 1. The worker crashes.
  await trainWorker(page).evaluate(() => {
    setTimeout(() => {
      throw new Error('simulated crash');
    }, 0);
  });
  await expect(page.getByTestId('run-state')).toHaveText('error');
  await expect(row.getByTestId('run-status-cell')).toHaveText('crashed');
  const offer = page.getByTestId('resume-offer');
  await expect(offer).toContainText('last checkpoint is at step 2');
  await page.getByTestId('resume-offer-btn').click();
  await expect(page.getByTestId('run-state')).toHaveText('paused');
  await expect(page.getByTestId('run-step')).toHaveText('2');
  await expect(offer).toHaveCount(0);
  await page.getByTestId('btn-step').click();
  await expect(page.getByTestId('run-step')).toHaveText('3');
  await expect(page.getByTestId('run-state')).toHaveText('paused');
  await expect(row.getByTestId('run-checkpoint')).toHaveText('3');
  await expect(page.getByTestId('metric-count')).toContainText('3 training points'); // the stored curve goes on
  expect(Number.isFinite(await num(page, 'train-loss'))).toBe(true);

  // 2. The device is lost at the next step's first command encoder.
  await trainWorker(page).evaluate(() => {
    const proto = GPUDevice.prototype as GPUDevice & { createCommandEncoder: GPUDevice['createCommandEncoder'] };
    const original = proto.createCommandEncoder;
    proto.createCommandEncoder = function (this: GPUDevice, d?: GPUCommandEncoderDescriptor) {
      proto.createCommandEncoder = original;
      this.destroy();
      return original.call(this, d);
    };
  });
  await page.getByTestId('btn-step').click();
  await expect(page.getByTestId('run-state')).toHaveText('error');
  await expect(offer).toContainText('stopped with the GPU device or the worker');
  await expect(offer).toContainText('last checkpoint is at step 3');
  await page.getByTestId('resume-offer-btn').click();
  await expect(page.getByTestId('run-state')).toHaveText('paused');
  await expect(page.getByTestId('run-step')).toHaveText('3');
  await expect(page.getByTestId('metric-count')).toContainText('3 training points');
  await page.getByTestId('btn-step').click();
  await expect(page.getByTestId('run-step')).toHaveText('4');
  expect(Number.isFinite(await num(page, 'train-loss'))).toBe(true);
});
