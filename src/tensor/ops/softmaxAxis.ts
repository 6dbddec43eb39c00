/**
 * Softmax and log-softmax along any axis (softmax_axis.wgsl), numerically stable, with
 * backward from the saved output. Columns along the axis are handled one per thread when
 * there are many of them or they are short, one per 256-thread workgroup otherwise.
 */
import type { Uniform } from '../../gpu/context';
import { grid1d } from '../../gpu/grid';
import { SHADERS } from '../../gpu/shaders';
import { axisSplit, softmaxAxisRef, type SoftmaxAxisAttrs } from '../reference/softmaxAxis';
import { registerOp } from '../registry';
import type { Tensor } from '../tensor';

export type { SoftmaxAxisAttrs } from '../reference/softmaxAxis';

/** Columns at least this long take a workgroup each, unless there are this many columns. */
const GROUP_MIN_N = 128;
const THREAD_MIN_COLS = 8192;

function plan(x: Tensor, axis: number) {
  const { outer, n, inner } = axisSplit(x.shape, axis);
  const cols = outer * inner;
  const group = n >= GROUP_MIN_N && cols < THREAD_MIN_COLS;
  const grid = group ? grid1d(cols, 1) : grid1d(cols);
  return {
    n,
    cols,
    group,
    grid,
    u: (log: boolean): Uniform[] => [
      ['u32', outer],
      ['u32', n],
      ['u32', inner],
      ['u32', +log],
      ['u32', cols],
      ['u32', 0],
      ['u32', 0],
      ['u32', 0],
    ],
  };
}

export const softmaxAxisOp = registerOp<SoftmaxAxisAttrs>({
  name: 'softmaxAxis',
  differentiable: [true],
  forward(e, [x], { axis, log }) {
    const p = plan(x, axis);
    const y = e.empty(x.shape);
    if (p.n > 0) e.gpu.dispatch(SHADERS.softmaxAxis, p.group ? 'softmax_group' : 'softmax_thread', [x.buffer, y.buffer], p.grid, p.u(log));
    return { output: y };
  },
  backward(e, node, dy) {
    const x = node.inputs[0];
    const p = plan(x, node.attrs.axis);
    const dx = e.empty(x.shape);
    if (p.n > 0) {
      e.gpu.dispatch(
        SHADERS.softmaxAxis,
        p.group ? 'softmax_back_group' : 'softmax_back_thread',
        [node.output.buffer, dx.buffer, dy.buffer],
        p.grid,
        p.u(node.attrs.log),
      );
    }
    return [dx];
  },
  reference: ([x], at) => softmaxAxisRef(x, at),
});

type T = Tensor<'f32'>;

/** Softmax along `axis` (negative counts from the end; default the last). */
export const softmax = (x: T, axis = -1): T => x.engine.apply(softmaxAxisOp, [x], { axis, log: false }) as T;
/** log(softmax(x)) along `axis`, computed as x - max - log(sum exp(x - max)). */
export const logSoftmax = (x: T, axis = -1): T => x.engine.apply(softmaxAxisOp, [x], { axis, log: true }) as T;
