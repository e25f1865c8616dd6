"""The smoke profile proves the whole path with a checkpoint sized to that purpose, and resume still works."""

import torch

from alexnet_lib.engine.profiles import PROFILES
from alexnet_lib.engine.records import load_checkpoint
from alexnet_lib.engine.run import _default_model, train
from alexnet_lib.net.model import count_parameters

MB = 2 ** 20


def test_only_the_smoke_profile_narrows_the_hidden_layers():
    assert PROFILES["smoke"].hidden == 256
    assert all(PROFILES[name].hidden is None for name in ("cpu", "full"))  # real runs train the real network
    smoke, real = _default_model(PROFILES["smoke"], 0.3), _default_model(PROFILES["cpu"], None)
    assert real.config.hidden == 4096 and count_parameters(real) == 46_764_746
    assert smoke.config.hidden == 256 and smoke.config.dropout == 0.3
    assert [type(m) for m in smoke.modules()] == [type(m) for m in real.modules()]  # every layer is there
    assert count_parameters(smoke) < count_parameters(real) / 8


def test_a_smoke_checkpoint_is_small_and_keeps_what_resume_needs(tmp_path):
    torch.manual_seed(0)
    model, history = train(profile="smoke", images=64, out=tmp_path / "run", progress=False, verbose=False)
    size = (tmp_path / "run" / "checkpoint.pt").stat().st_size
    weights = count_parameters(model) * 4
    assert size < 50 * MB, f"{size / MB:.0f} MB"  # a 374 MB checkpoint for a seconds-long run was the complaint
    assert size > 1.9 * weights  # the momentum is saved beside the weights: --resume continues exactly
    state = load_checkpoint(tmp_path / "run" / "checkpoint.pt")
    assert len(state["optimizer"]["state"]) == len(list(model.parameters()))
    assert state["history"]["config"]["model"] == "alexnet_d2l_hidden256" == history.config["model"]
