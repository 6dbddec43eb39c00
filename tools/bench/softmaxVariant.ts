/**
 * The "before" of the attention softmax change: ours with the softmax stage pinned to the
 * workgroup-per-row kernel, timed against the same tfjs samples as ours (which takes the
 * row-per-thread kernel for short rows).
 */
import { pinAttentionSoftmax } from '../../src/tensor/ops/attention4d';
import type { PreparedVariant } from './context';
import type { Side } from './timing';

/** `side` with every attention softmax it records on the workgroup kernel. */
export function workgroupSoftmaxVariant(side: Side): PreparedVariant {
  return {
    name: 'ours, workgroup-per-row attention softmax (before)',
    side: {
      step() {
        pinAttentionSoftmax('workgroup');
        try {
          side.step();
        } finally {
          pinAttentionSoftmax(null);
        }
      },
      settle: () => side.settle(),
    },
  };
}
