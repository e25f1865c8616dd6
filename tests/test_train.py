"""The training engine: profiles, schedule, fit on real data, resume, the NaN stop, checkpoints, the CLI."""

import json
import math
import os

import pytest
import torch
from torch import nn

from alexnet_lib import train as T
from alexnet_lib.__main__ import main
from alexnet_lib.data import DeviceLoader, load_fashion_mnist


def tiny_net() -> nn.Module:
    """A small CNN on 28x28 inputs with dropout, so resume has randomness to reproduce."""
    return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Dropout(0.3), nn.Linear(8 * 14 * 14, 10))


@pytest.fixture(scope="module")
def fmnist():
    return load_fashion_mnist()


def loaders(data, n_train=256, n_test=128, size=28, batch=32):
    train = DeviceLoader(data.train_images, data.train_labels, batch_size=batch, size=size, shuffle=True,
                         seed=1, subset=n_train)
    test = DeviceLoader(data.test_images, data.test_labels, batch_size=batch, size=size, subset=n_test)
    return train, test


def test_choose_profile(monkeypatch):
    monkeypatch.delenv("ALEXNET_PROFILE", raising=False)
    monkeypatch.setenv("CI", "true")
    assert T.choose_profile().name == "smoke"
    monkeypatch.delenv("CI")
    assert T.choose_profile(device="cpu").name == "cpu"
    assert T.choose_profile(device="cuda").name == "full"
    monkeypatch.setenv("ALEXNET_PROFILE", "full")
    assert T.choose_profile(device="cpu").name == "full"
    assert T.choose_profile("smoke").name == "smoke"  # the argument wins
    with pytest.raises(ValueError, match="profile='huge' is unknown.*smoke"):
        T.choose_profile("huge")
    for p in T.PROFILES.values():
        assert p.size == 224


def test_recipes_and_schedule():
    with pytest.raises(ValueError, match="recipe='adam' is unknown"):
        T.get_recipe("adam")
    assert T.get_recipe("paper", lr=0.1).lr == 0.1
    assert T.RECIPES["paper"].momentum == 0.9 and T.RECIPES["paper"].weight_decay == 5e-4
    assert T.RECIPES["d2l"].momentum == 0 and T.RECIPES["d2l"].init == "xavier"
    r = T.RECIPES["fast"]
    lrs = [T.lr_at(r, s, 100) for s in range(100)]
    assert max(lrs) == pytest.approx(r.lr)
    warm = int(r.warmup * 100)
    assert all(a < b for a, b in zip(lrs[:warm - 1], lrs[1:warm]))  # rising through the warmup
    assert lrs[warm - 1] == pytest.approx(r.lr)  # warmup ends at the peak
    assert all(a >= b for a, b in zip(lrs[warm:], lrs[warm + 1:]))  # then only falls
    assert lrs[-1] < 0.01 * r.lr and all(a >= b for a, b in zip(lrs[15:], lrs[16:]))


def test_weight_decay_skips_biases():
    opt = T.make_optimizer(tiny_net(), T.RECIPES["paper"])
    decayed, plain = opt.param_groups
    assert all(p.ndim > 1 for p in decayed["params"]) and decayed["weight_decay"] == 5e-4
    assert all(p.ndim == 1 for p in plain["params"]) and plain["weight_decay"] == 0


def test_fit_learns_and_records_provenance(fmnist, tmp_path):
    train, test = loaders(fmnist, n_train=1024, n_test=256)
    h = T.fit(tiny_net(), train, test, epochs=2, recipe="fast", lr=0.05, reinit=False, progress=False,
              checkpoint=tmp_path / "ck.pt")
    assert [e["epoch"] for e in h.epochs] == [1, 2]
    assert h.final_test_acc > 0.5  # chance is 0.1
    for key in ("train_loss", "train_acc", "test_acc", "images_per_s", "seconds", "lr"):
        assert all(math.isfinite(e[key]) for e in h.epochs)
    assert h.config["train_images"] == 1024 and h.config["test_images"] == 256
    assert h.provenance["torch"] == torch.__version__ and h.provenance["device_name"]
    assert (tmp_path / "ck.pt").exists() and not list(tmp_path.glob(".*tmp"))
    h.save(tmp_path / "h.json")
    again = T.History.load(tmp_path / "h.json")
    assert again.epochs == h.epochs and "test acc" in again.summary()


def test_resume_reproduces_uninterrupted_run(fmnist, tmp_path):
    def run(epochs, ck, resume=False):
        torch.manual_seed(123)  # a different global state must not matter: fit seeds itself
        train, test = loaders(fmnist)
        model = tiny_net()
        h = T.fit(model, train, test, epochs=epochs, recipe="paper", lr=0.05, checkpoint=ck, resume=resume,
                  progress=False, reinit=False)
        return model, h

    straight, h_straight = run(3, tmp_path / "a.pt")
    run(2, tmp_path / "b.pt")  # "interrupted" after epoch 2
    resumed, h_resumed = run(3, tmp_path / "b.pt", resume=True)
    for (k, a), (_, b) in zip(straight.state_dict().items(), resumed.state_dict().items()):
        assert torch.equal(a, b), k
    strip = lambda h: [{k: v for k, v in e.items() if "second" not in k and k != "images_per_s"} for e in h.epochs]
    assert strip(h_resumed) == strip(h_straight)


class NaNAfter(nn.Module):
    """Wraps a model and poisons its output from the given forward call on."""

    def __init__(self, model, bad_call):
        super().__init__()
        self.model, self.bad_call, self.calls = model, bad_call, 0

    def forward(self, x):
        out = self.model(x)
        self.calls += 1
        return out * float("nan") if self.calls > self.bad_call else out


def test_nan_loss_stops_with_step_and_advice(fmnist, tmp_path):
    train, test = loaders(fmnist, n_train=256)  # 8 steps an epoch
    ck = tmp_path / "ck.pt"
    with pytest.raises(T.NonFiniteLossError, match=r"at step 11 .*lower learning rate"):
        T.fit(NaNAfter(tiny_net(), bad_call=11), train, None, epochs=3, lr=0.05, checkpoint=ck, progress=False,
              reinit=False)
    state = T.load_checkpoint(ck)
    assert state["epoch"] == 0  # epoch 1 was saved; the poisoned epoch 2 was not


def test_damaged_checkpoint_and_history(tmp_path):
    bad = tmp_path / "ck.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="cannot be read.*delete it"):
        T.load_checkpoint(bad)
    (tmp_path / "h.json").write_text("{")
    with pytest.raises(ValueError, match="not a readable run history"):
        T.History.load(tmp_path / "h.json")
    with pytest.raises(ValueError, match="resume=True needs checkpoint"):
        T.fit(tiny_net(), [], None, resume=True)
    with pytest.raises(ValueError, match="epochs=0"):
        T.fit(tiny_net(), [], None, epochs=0)


def test_evaluate_confusion(fmnist):
    _, test = loaders(fmnist, n_test=200, batch=64)
    ev = T.evaluate(tiny_net(), test)
    assert ev.confusion.shape == (10, 10) and int(ev.confusion.sum()) == 200
    assert ev.accuracy == pytest.approx(float(ev.confusion.diag().sum()) / 200)
    for true, pred, count in ev.most_confused(3):
        assert true != pred and count == int(ev.confusion[true, pred])


def test_cli_smoke_training_beats_chance_on_real_data(tmp_path, monkeypatch, capsys):
    """The real AlexNet (d2l's Fashion-MNIST net) at 224x224, smoke profile, through the CLI."""
    monkeypatch.delenv("ALEXNET_PROFILE", raising=False)
    out = tmp_path / "run"
    assert main(["train", "--profile", "smoke", "--out", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "profile smoke" in printed and "224x224" in printed
    history = json.loads((out / "history.json").read_text())
    assert history["config"]["model"] == "alexnet_d2l" and history["config"]["size"] == 224
    assert history["epochs"][-1]["test_acc"] > 0.25  # chance is 0.10
    assert (out / "checkpoint.pt").exists()


def test_atomic_write_leaves_a_normal_file_and_no_temp(tmp_path):
    old = os.umask(0o022)
    try:
        path = T.atomic_write_text(tmp_path / "sub" / "h.json", "{}\n")
    finally:
        os.umask(old)
    assert path.read_text() == "{}\n" and (path.stat().st_mode & 0o777) == 0o644
    assert [p.name for p in path.parent.iterdir()] == ["h.json"]
