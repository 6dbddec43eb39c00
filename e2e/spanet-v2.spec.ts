import { resolve } from 'node:path';
import { expect, test } from '@playwright/test';

// The spanet-v2 model (upstream SPANet's network and loss) from SPANet's own example options
// file, loaded with the Train panel's file picker, shrunk by the overrides field for SwiftShader.
const OPTIONS = resolve('tests/fixtures/spanet-upstream/options_files/full_hadronic_ttbar/example.json');

test("trains spanet-v2 from SPANet's example options file; unknown and unused options are named", async ({ page }) => {
  test.setTimeout(300_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/');
  await expect(page.getByTestId('gpu-adapter')).toBeVisible();
  await page.getByTestId('task-select').selectOption('spanet');
  await expect(page.getByTestId('cfg-model')).toHaveValue('spanet-v2');
  for (const [key, value] of [
    ['demoEvents', '256'],
    ['maxJets', '7'],
    ['evalEvents', '32'],
    ['lr', '0.005'],
  ]) {
    await page.getByTestId(`cfg-${key}`).fill(value);
  }
  await page.getByTestId('cfg-optionsJson-file').setInputFiles(OPTIONS);
  await expect(page.getByTestId('cfg-optionsJson')).toHaveValue(/"num_encoder_layers": 6/);
  const small = {
    hidden_dim: 8,
    transformer_dim: 8,
    initial_embedding_dim: 4,
    position_embedding_dim: 4,
    num_encoder_layers: 1,
    num_branch_embedding_layers: 1,
    num_branch_encoder_layers: 1,
    num_jet_encoder_layers: 1,
    num_detector_layers: 1,
    batch_size: 16,
    not_an_option: 1,
  };
  await page.getByTestId('cfg-optionsOverrides').fill(JSON.stringify(small));
  await page.getByTestId('btn-create').click();
  await expect(page.getByTestId('run-state')).toHaveText('ready', { timeout: 120_000 });
  const description = page.getByTestId('run-description');
  await expect(description).toContainText('unknown options not_an_option');
  // balance_particles is used (the loss balances as upstream); the example's worker count is not
  await expect(description).toContainText('not used by this model yet: num_dataloader_workers');
  await expect(page.getByTestId('test-loss')).toBeVisible({ timeout: 60_000 });
  const initial = Number(await page.getByTestId('test-loss').textContent());

  await page.getByTestId('btn-start').click();
  await expect.poll(async () => Number(await page.getByTestId('run-step').textContent()), { timeout: 200_000 }).toBeGreaterThan(30);
  await page.getByTestId('btn-pause').click();
  await expect(page.getByTestId('run-state')).toHaveText('paused', { timeout: 60_000 });
  await expect.poll(async () => Number(await page.getByTestId('test-loss').textContent()), { timeout: 60_000 }).toBeLessThan(initial);
  expect(errors).toEqual([]);
});
