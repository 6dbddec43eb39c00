import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';

const DEMO = join(process.cwd(), 'public', 'demo');
const LARCV = join(DEMO, 'larcv3_demo.h5');
const SPANET = join(DEMO, 'spanet_demo.h5');

function fileRow(page: Page, name: string) {
  return page.locator(`[data-testid="data-file"][data-file-name="${name}"]`);
}

test('loads larcv3 and SPANet files from the file input and shows their trees and kinds', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/');
  await expect(page.getByTestId('data-dropzone')).toBeVisible();

  await page.getByTestId('data-file-input').setInputFiles(LARCV);
  const larcv = fileRow(page, 'larcv3_demo.h5');
  await expect(larcv).toHaveAttribute('data-status', 'ready');
  await expect(larcv.getByTestId('data-kind')).toHaveAttribute('data-kind', 'larcv3');
  const tree = page.getByTestId('data-tree');
  await expect(tree.locator('[data-path="/Data/sparse2d_data_group"]')).toBeVisible();
  await expect(tree.locator('[data-path="/Events/event_id"]')).toBeVisible();
  await expect(page.getByTestId('data-summary')).toContainText('sparse2d/data');
  await expect(page.getByTestId('data-summary')).toContainText('mounted');

  // expand the product group, then preview a compound dataset: table + histogram
  await tree.locator('[data-path="/Data/sparse2d_data_group"] > button').click();
  await tree.locator('[data-path="/Data/sparse2d_data_group/voxels"] button').first().click();
  await expect(page.getByTestId('data-preview-table')).toContainText('value');
  await expect(page.getByTestId('data-preview-table').locator('tbody tr')).toHaveCount(20);
  await expect(page.getByTestId('data-histogram').locator('.main-svg').first()).toBeVisible();

  await page.getByTestId('data-file-input').setInputFiles(SPANET);
  const spanet = fileRow(page, 'spanet_demo.h5');
  await expect(spanet).toHaveAttribute('data-status', 'ready');
  await expect(spanet.getByTestId('data-kind')).toHaveAttribute('data-kind', 'spanet');
  const sTree = page.getByTestId('data-tree');
  for (const p of ['/INPUTS/Momenta', '/INPUTS/Met', '/TARGETS/t1', '/REGRESSIONS/EVENT', '/CLASSIFICATIONS/EVENT'])
    await expect(sTree.locator(`[data-path="${p}"]`)).toBeVisible();
  await sTree.locator('[data-path="/INPUTS/Momenta"] > button').click();
  await expect(sTree.locator('[data-path="/INPUTS/Momenta/MASK"]')).toContainText('[500, 10]');
  await expect(page.getByTestId('data-summary')).toContainText('targets t1, t2');
  // the first file is still loaded
  await expect(larcv).toHaveAttribute('data-status', 'ready');
  expect(errors).toEqual([]);
});

test('a dropped file (synthetic drop with a DataTransfer) is loaded; a bad file shows an error and keeps the others', async ({ page }) => {
  await page.goto('/');
  const drop = async (name: string, bytes: number[]) => {
    const dt = await page.evaluateHandle(
      ({ name, bytes }) => {
        const d = new DataTransfer();
        d.items.add(new File([new Uint8Array(bytes)], name, { type: 'application/x-hdf5' }));
        return d;
      },
      { name, bytes },
    );
    await page.getByTestId('data-dropzone').dispatchEvent('drop', { dataTransfer: dt });
  };
  await drop('spanet_demo.h5', Array.from(readFileSync(SPANET)));
  const spanet = fileRow(page, 'spanet_demo.h5');
  await expect(spanet).toHaveAttribute('data-status', 'ready');
  await expect(spanet.getByTestId('data-kind')).toHaveAttribute('data-kind', 'spanet');

  await drop('notes.h5', Array.from(new TextEncoder().encode('this is not an HDF5 file')));
  await expect(fileRow(page, 'notes.h5')).toHaveAttribute('data-status', 'error');
  await expect(page.getByTestId('data-error')).toContainText('notes.h5: not an HDF5 file');

  const larcvBytes = readFileSync(LARCV);
  await drop('cut.h5', Array.from(larcvBytes.subarray(0, larcvBytes.length >> 1)));
  await expect(fileRow(page, 'cut.h5')).toHaveAttribute('data-status', 'error');
  await expect(page.getByTestId('data-error')).toContainText('truncated');
  await expect(spanet).toHaveAttribute('data-status', 'ready');
  await expect(page.getByTestId('data-file')).toHaveCount(3);
});
