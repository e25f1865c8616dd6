"""train(): a run is never lost: its folder is checked, locked and cleaned up before any training."""

import pytest
import torch

from alexnet_lib.engine.records import History
from alexnet_lib.engine.run import train
from alexnet_lib.files import folder_lock


def test_resume_of_a_history_without_its_checkpoint_is_refused(tmp_path):
    History(config={"seed": 0}, epochs=[{"epoch": 1, "test_acc": 0.5}]).save(tmp_path / "history.json")
    before = (tmp_path / "history.json").read_bytes()
    with pytest.raises(ValueError, match=r"holds history.json but no checkpoint.pt, so there is nothing to resume.*"
                                         r"--overwrite"):
        train(profile="smoke", out=tmp_path, resume=True, verbose=False)
    assert (tmp_path / "history.json").read_bytes() == before


@pytest.mark.parametrize("name", ["history.json", "checkpoint.pt"])
def test_a_folder_where_the_run_would_be_saved_is_refused_before_training(tmp_path, name):
    (tmp_path / name).mkdir()
    with pytest.raises(ValueError, match=f"{name} is a folder, so the run could not be saved there"):
        train(profile="smoke", out=tmp_path, overwrite=True, verbose=False)


def test_two_runs_into_one_folder_are_refused(tmp_path):
    with folder_lock(tmp_path):
        with pytest.raises(ValueError, match="is in use by another run"):
            train(profile="smoke", out=tmp_path, epochs=1, images=32, verbose=False, progress=False)


def test_a_seed_beyond_64_bits_is_refused_in_words(tmp_path):
    with pytest.raises(ValueError, match=r"seed=.* must be .*9223372036854775807"):
        train(profile="smoke", seed=2 ** 64, verbose=False)


def test_a_refused_budget_leaves_no_empty_folder(tmp_path):
    tiny = torch.nn.Sequential(torch.nn.AvgPool2d(16), torch.nn.Flatten(), torch.nn.Linear(196, 10))
    out = tmp_path / "new" / "run"
    with pytest.raises(ValueError, match="leaves too little time to train"):
        train(profile="smoke", minutes=0.001, model=tiny, out=out, verbose=False, progress=False)
    assert not out.exists()
