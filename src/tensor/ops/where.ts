// where(cond, a, b) and maskedFill(x, mask, value), broadcasting like torch. cond / mask may
// be f32 (0 is false, as is -0) or i32 / u32 (0 is false); a, b and x are f32.
import { launchWhere, launchWherePartial } from '../kernels';
import { broadcastShape, maskedFillRef, whereRef } from '../reference/broadcast';
import { registerOp } from '../registry';
import type { Tensor } from '../tensor';
import { sumToShape } from './broadcast';

type T = Tensor<'f32'>;

/** Gradient to a where cond holds, to b elsewhere, each summed to its operand's shape. */
export const whereOp = registerOp<Record<string, never>>({
  name: 'where',
  differentiable: [false, true, true],
  forward(e, [cond, a, b]) {
    if (a.dtype !== 'f32' || b.dtype !== 'f32') throw new Error(`where: a and b must be f32, got ${a.dtype} and ${b.dtype}`);
    const out = e.empty(broadcastShape(broadcastShape(cond.shape, a.shape), b.shape));
    launchWhere(e.gpu, cond, a, b, out);
    return { output: out };
  },
  backward(e, node, dy, needs) {
    const [cond, a, b] = node.inputs;
    return [
      null,
      ...[a, b].map((x, k) => {
        if (!needs[k + 1]) return null;
        const masked = e.empty(dy.shape);
        launchWherePartial(e.gpu, cond, dy, masked, k === 1);
        const g = sumToShape(e, masked, x.shape);
        if (g !== masked) masked.dispose();
        return g;
      }),
    ];
  },
  reference: ([cond, a, b]) => whereRef(cond, a, b),
});

export interface MaskedFillAttrs {
  value: number;
}

/** x with `value` where mask holds; mask broadcasts to x's shape (not the other way, as torch). */
export const maskedFillOp = registerOp<MaskedFillAttrs>({
  name: 'maskedFill',
  differentiable: [true, false],
  forward(e, [x, mask], { value }) {
    if (x.dtype !== 'f32') throw new Error(`maskedFill: x must be f32, got ${x.dtype}`);
    const shape = broadcastShape(x.shape, mask.shape);
    if (shape.length !== x.rank || shape.some((d, i) => d !== x.shape[i])) {
      throw new Error(`maskedFill: mask [${mask.shape}] does not broadcast to x's shape [${x.shape}]`);
    }
    const out = e.empty(x.shape);
    launchWhere(e.gpu, mask, null, x, out, value);
    return { output: out };
  },
  backward(e, node, dy, needs) {
    if (!needs[0]) return [null, null];
    const dx = e.empty(dy.shape);
    launchWherePartial(e.gpu, node.inputs[1], dy, dx, true);
    return [dx, null];
  },
  reference: ([x, mask], { value }) => maskedFillRef(x, mask, value),
});

export const where = (cond: Tensor, a: T, b: T): T => a.engine.apply(whereOp, [cond, a, b], {}) as T;
export const maskedFill = (x: T, mask: Tensor, value: number): T => x.engine.apply(maskedFillOp, [x, mask], { value }) as T;
