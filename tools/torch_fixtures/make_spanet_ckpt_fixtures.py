#!/usr/bin/python3
"""An upstream SPANet checkpoint with balance on, from upstream's own code (Alexanders101/SPANet,
a checkout you provide; none of its code is in this repository), written to
tests/fixtures/torch/spanet/ckpt/:

  ttH_balance.state.safetensors  upstream's JetReconstructionModel(options).state_dict(): the
                                 network and the balance tensors JetReconstructionBase keeps as
                                 requires_grad=False parameters (particle_index_tensor,
                                 particle_weights_tensor, jet_weights_tensor,
                                 classification_weights.<key>, event_permutation_tensor);
                                 metadata `state_keys` = torch's key order, `options` = the
                                 overrides of SPANet's semi_leptonic_ttH example options,
                                 `upstream_commit`
  ttH_balance.io.safetensors     the eval outputs for the first EVENTS training events (inputs
                                 `source.<i>.data` / `.mask` as the dataset gives them,
                                 `assignment.<p>`, `detection.<p>`, `regression.<key>`,
                                 `classification.<key>`), and training_step's `loss` (float64 as
                                 float32) on the first LOSS_EVENTS training events with the
                                 checkpoint's balance tensors

The model is upstream's real JetReconstructionBase (create_datasets, the balance code) with the
ttH example options (shrunk; balance_particles as the example, balance_jets and
balance_classifications also on) on SPANet's ttH example file. Weights are redrawn N(0, 0.3²)
(norm weights 1 + N(0, 0.3²)) as make_spanet_fixtures.py does, so each event's outputs differ;
requires_grad=False tensors (statistics, balance) stay as upstream computed them.

Stand-ins for what Debian lacks: pytorch-lightning (a LightningModule that is a torch.nn.Module),
opt_einsum (einsum), numba's prediction_selection (not used by forward or training_step).
Run from the repository root:
  git --git-dir=<mirror> archive <commit> | tar x -C /tmp/spanet_up
  /usr/bin/python3 tools/torch_fixtures/make_spanet_ckpt_fixtures.py /tmp/spanet_up <commit> TTH.h5
"""
import json
import os
import sys
import types

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_transformer_fixtures import write_safetensors  # noqa: E402

UPSTREAM, COMMIT, DATA = sys.argv[1], sys.argv[2], sys.argv[3]
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
OUT = os.path.join(ROOT, 'tests', 'fixtures', 'torch', 'spanet', 'ckpt')
OPTIONS_FILE = os.path.join(ROOT, 'tests', 'fixtures', 'spanet-upstream', 'options_files', 'semi_leptonic_ttH', 'example.json')
EVENTS, LOSS_EVENTS = 3, 8

# Over the example's options: a tiny network (the test runs on SwiftShader) and all three balances.
OVERRIDES = {
    'hidden_dim': 8, 'transformer_dim': 8, 'initial_embedding_dim': 4, 'position_embedding_dim': 4,
    'num_embedding_layers': 1, 'num_encoder_layers': 1, 'num_branch_embedding_layers': 1,
    'num_branch_encoder_layers': 1, 'num_jet_embedding_layers': 0, 'num_jet_encoder_layers': 1,
    'num_detector_layers': 1, 'num_regression_layers': 1, 'num_classification_layers': 1,
    'num_attention_heads': 2, 'balance_jets': True, 'balance_classifications': True,
}


def stub(name, **attrs):
    m = types.ModuleType(name)
    m.__dict__.update(attrs)
    sys.modules[name] = m
    return m


class LightningStandIn(torch.nn.Module):
    def save_hyperparameters(self, *args, **kwargs):
        pass


stub('pytorch_lightning', LightningModule=LightningStandIn)
stub('opt_einsum', contract_expression=lambda subscripts, *shapes, **kw: (lambda *ops, **k: torch.einsum(subscripts, *ops)))
sys.path.insert(0, UPSTREAM)
# packages without their __init__ (which pull in the CLI and its dependencies)
for name in ['spanet', 'spanet.dataset', 'spanet.network', 'spanet.network.jet_reconstruction']:
    stub(name).__path__ = [os.path.join(UPSTREAM, *name.split('.'))]
stub('spanet.network.prediction_selection', extract_predictions=None)

from spanet.options import Options  # noqa: E402
from spanet.network.jet_reconstruction.jet_reconstruction_training import JetReconstructionTraining  # noqa: E402
from spanet.network.jet_reconstruction.jet_reconstruction_validation import JetReconstructionValidation  # noqa: E402


# upstream's spanet/network/jet_reconstruction/jet_reconstruction_model.py, spelled out (its
# module sits behind the package __init__)
class JetReconstructionModel(JetReconstructionValidation, JetReconstructionTraining):
    pass


def main():
    os.makedirs(OUT, exist_ok=True)
    with open(OPTIONS_FILE) as f:
        opts = json.load(f)
    opts.update(OVERRIDES)
    opts['event_info_file'] = os.path.join(UPSTREAM, 'event_files', 'semi_leptonic_ttH.yaml')
    opts['training_file'] = DATA
    options = Options()
    options.update_options(opts)
    torch.manual_seed(23)
    net = JetReconstructionModel(options)
    with torch.no_grad():
        for name, p in net.named_parameters():
            if not p.requires_grad:
                continue
            scale = 1.0 if name.endswith('norm.weight') or name.endswith('normalization.weight') else 0.0
            p.copy_(scale + 0.3 * torch.randn_like(p))
    net.eval()
    state = net.state_dict()
    batch = net.training_dataset[:EVENTS]
    with torch.no_grad():
        out = net(batch.sources)
    io = {}
    for i, (data, mask) in enumerate(batch.sources):
        io[f'source.{i}.data'] = data.float()
        io[f'source.{i}.mask'] = mask.to(torch.int32)
    for name, a, d in zip(net.event_info.product_particles.keys(), out.assignments, out.detections):
        io[f'assignment.{name}'] = a.float()
        io[f'detection.{name}'] = d.float()
    for k, v in out.regressions.items():
        io[f'regression.{k}'] = v.float()
    for k, v in out.classifications.items():
        io[f'classification.{k}'] = v.float()
    # dropout is 0 and the example's norms are LayerNorms: train mode computes the same outputs
    net.log = lambda *a, **k: None
    with torch.no_grad():
        loss = net.training_step(net.training_dataset[:LOSS_EVENTS], 0)
    io['loss'] = loss.detach().float().reshape(1)
    meta = {'upstream_commit': COMMIT, 'options': json.dumps(OVERRIDES), 'events': str(EVENTS),
            'loss_events': str(LOSS_EVENTS), 'train_events': str(len(net.training_dataset))}
    write_safetensors(os.path.join(OUT, 'ttH_balance.state.safetensors'), dict(state),
                      {**meta, 'state_keys': json.dumps(list(state.keys()))})
    write_safetensors(os.path.join(OUT, 'ttH_balance.io.safetensors'), io, meta)
    extra = [k for k in state if not k.startswith(('embedding.', 'encoder.', 'branch_decoders.', 'regression_decoder.',
                                                   'classification_decoder.'))]
    print(f'{len(state)} state entries; not network modules: {extra}; loss {float(loss)}')
    for k in extra:
        print(' ', k, state[k].dtype, list(state[k].shape), state[k].flatten()[:8].tolist())


if __name__ == '__main__':
    main()
