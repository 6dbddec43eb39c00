// The cosmic task's loss, in one place, so the in-memory run and the streaming run train the same thing.
import { BALANCE_SCHEMES, classWeightTable, segmentationCrossEntropy, type BalanceScheme } from '../../losses/segmentation';
import type { Tensor } from '../../tensor/tensor';

export { BALANCE_SCHEMES, type BalanceScheme };

/** CosmicTagger's default (src/config/optimizer.py: loss_balance_scheme = focal). */
export const DEFAULT_BALANCE: BalanceScheme = 'focal';

export function parseBalance(name: string): BalanceScheme {
  if (!(BALANCE_SCHEMES as readonly string[]).includes(name))
    throw new Error(`unknown loss balance "${name}" (one of ${BALANCE_SCHEMES.join(', ')})`);
  return name as BalanceScheme;
}

/**
 * Host-side class weights [P, C] of one batch for `cosmicLoss` (labels [B·P, H·W] as the batch
 * is uploaded; "even" counts the batch's labels per plane, the others are constants).
 */
export function cosmicClassWeights(
  balance: BalanceScheme,
  labels: ArrayLike<number>,
  planes: number,
  classes: number,
  pixelsPerImage: number,
): Float32Array {
  return classWeightTable(balance, labels, planes, classes, pixelsPerImage);
}

/**
 * CosmicTagger's LossCalculator (src/networks/torch/LossCalculator.py): Σ over planes of
 * Σ w·CE / Σ w over the batch's pixels of that plane, weights held constant in the gradient.
 * logits [B·P, C, H, W] (image n = plane n % P of event ⌊n / P⌋), labels [B·P, H, W] i32,
 * classWeights [P, C] from cosmicClassWeights.
 */
export function cosmicLoss(
  logits: Tensor<'f32'>,
  labels: Tensor<'i32'>,
  classWeights: Tensor<'f32'>,
  planes: number,
  balance: BalanceScheme,
): Tensor<'f32'> {
  return segmentationCrossEntropy(logits, labels, classWeights, { planes, focal: balance === 'focal' });
}
