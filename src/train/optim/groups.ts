/**
 * Parameter names and weight-decay groups.
 *
 * With a Module model the names are torch's (`layers.0.bias`). A parameter goes to the
 * no-decay group when
 *   - its name is `bias` or ends in `.bias`, or
 *   - it belongs directly to a norm layer: the module sets `noWeightDecay = true`, or its class
 *     name contains "Norm" (LayerNorm, BatchNorm2d, …; class names survive only unminified
 *     builds, hence the other rules), or
 *   - it is rank 1 and a component of its module path names a norm (`norm`, `norm1`,
 *     `layernorm`, `bn`, `bn2`, `ln`, `ln_f`, …).
 * Without a model (tasks not yet on Module) parameters are named `param.<i>` (their index in
 * run.parameters()) and every rank-1 tensor (a bias or a norm scale) goes to the no-decay group.
 */
import type { Module } from '../../nn/module';
import type { TaskRun } from '../../tasks/types';
import type { Tensor } from '../../tensor/tensor';

export interface NamedParam {
  name: string;
  tensor: Tensor<'f32'>;
  /** The weight decay this parameter gets (0 in the no-decay group). */
  weightDecay: number;
  group: 'decay' | 'no_decay';
}

const NORM_COMPONENT = /norm|^(bn|ln)(\d+|_.*)?$/i;

function isNormModule(m: Module): boolean {
  return (m as Module & { noWeightDecay?: boolean }).noWeightDecay === true || /Norm/.test(m.constructor.name);
}

/** True for the parameters the no-decay group takes (rules above). */
export function isNoDecay(name: string, t: Tensor, inNormModule: boolean): boolean {
  const parts = name.split('.');
  if (parts[parts.length - 1] === 'bias') return true;
  if (inNormModule) return true;
  return t.rank <= 1 && parts.slice(0, -1).some((c) => NORM_COMPONENT.test(c));
}

/** name → [tensor's name, directly owned by a norm module], in torch's order. */
function describeModel(model: Module): Map<Tensor, [string, boolean]> {
  const normOwned = new Set<Tensor>();
  for (const [, m] of model.namedModules()) {
    if (!isNormModule(m)) continue;
    // A module's own parameters are those whose relative name has no dot.
    for (const [n, t] of m.namedParameters()) if (!n.includes('.')) normOwned.add(t);
  }
  return new Map(model.namedParameters().map(([n, t]) => [t, [n, normOwned.has(t)]]));
}

/**
 * The run's parameters (run.parameters(), in its order) with names and their weight decay.
 * Parameters the model does not name (or every one, without a model) are `param.<i>` and
 * follow the rank-1 rule. `noDecayBiasNorm` false puts every parameter in the decay group.
 */
export function paramGroups(
  run: Pick<TaskRun, 'model' | 'parameters'>,
  weightDecay: number,
  noDecayBiasNorm: boolean,
  /** replaces the rules above for the parameters the model names (a task's own grouping) */
  noDecayRule?: (name: string) => boolean,
): NamedParam[] {
  const named = run.model ? describeModel(run.model) : new Map<Tensor, [string, boolean]>();
  return run.parameters().map((tensor, i) => {
    const known = named.get(tensor);
    const name = known ? known[0] : `param.${i}`;
    const rule = known ? (noDecayRule ? noDecayRule(name) : isNoDecay(name, tensor, known[1])) : tensor.rank <= 1;
    const noDecay = noDecayBiasNorm && rule;
    return { name, tensor, weightDecay: noDecay ? 0 : weightDecay, group: noDecay ? 'no_decay' : 'decay' };
  });
}
