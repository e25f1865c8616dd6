"""The training engine: devices and profiles, recipes, evaluate, fit (resume, refusals, callbacks), and the CLI."""

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from alexnet_lib.__main__ import main
from alexnet_lib.data.fashion_mnist import find_fashion_mnist, load_fashion_mnist
from alexnet_lib.data.loader import DeviceLoader
from alexnet_lib.device import default_device, parse_device
from alexnet_lib.engine import loop, run
from alexnet_lib.engine.loop import NonFiniteLossError, Step, evaluate
from alexnet_lib.engine.precision import Precision, autocast, choose_precision, cpu_has_bf16
from alexnet_lib.engine.profiles import PROFILES, choose_profile
from alexnet_lib.engine.recipes import RECIPES, Recipe, get_recipe, lr_at, make_optimizer
from alexnet_lib.engine.records import History, load_checkpoint
from tests.chapters import ROOT
from tests.nets import loaders, same_weights, tiny_net


def fit(checkpoint=None, epochs=2, **kwargs):
    """One fit of a fresh tiny_net on the synthetic loaders, after disturbing the global RNG (fit seeds itself)."""
    torch.manual_seed(int(torch.randint(1000, (1,))) + 1)
    model = tiny_net()
    train, test = loaders()
    args = dict(epochs=epochs, recipe="paper", lr=0.05, precision="fp32", progress=False, checkpoint=checkpoint)
    return model, loop.fit(model, train, test, **{**args, **kwargs})


def without_timing(h: History) -> list:
    return [{k: v for k, v in e.items() if "seconds" not in k and k != "images_per_s"} for e in h.epochs]


# ----------------------------------------------------------------------------- devices, profiles, precision


def test_choose_profile_order_and_no_ci_sniffing(monkeypatch):
    monkeypatch.delenv("ALEXNET_PROFILE", raising=False)
    monkeypatch.setenv("CI", "true")
    assert choose_profile(device="cpu").name == "cpu"  # $CI no longer picks a profile
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert choose_profile(device="cuda").name == "full"
    monkeypatch.setenv("ALEXNET_PROFILE", "smoke")
    assert choose_profile(device="cuda").name == "smoke"  # the environment beats the device
    assert choose_profile("cpu").name == "cpu"  # the argument beats the environment
    with pytest.raises(ValueError, match=r"profile='huge' is not valid; choose one of 'smoke', 'cpu', 'full'"):
        choose_profile("huge")
    monkeypatch.setenv("ALEXNET_PROFILE", "huge")
    with pytest.raises(ValueError, match=r"\$ALEXNET_PROFILE='huge' is not valid"):
        choose_profile()


def test_profiles_train_at_224_with_growing_budgets():
    p = PROFILES
    assert all(x.size == 224 for x in p.values())
    assert p["smoke"].train_subset == 640 and p["smoke"].epochs == 1 and p["smoke"].minutes is None
    assert p["cpu"].minutes == 30 and p["cpu"].epochs is None  # a time budget on whatever machine runs it
    assert p["full"].train_subset is None and p["full"].epochs == 10
    assert 0 < p["smoke"].validation < p["cpu"].validation < p["full"].validation  # held out of training


def test_parse_device(monkeypatch):
    assert parse_device("cpu") == torch.device("cpu") and parse_device(None) == default_device()
    with pytest.raises(ValueError, match="device='foo' is not a device name"):
        parse_device("foo")
    with pytest.raises(ValueError, match="device='meta' is not supported"):
        parse_device("meta")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="device='cuda:0' asks for a GPU but this machine has none"):
        parse_device("cuda:0")
    assert default_device().type in ("cpu", "mps")


def test_precision_follows_the_device():
    cpu = torch.device("cpu")
    assert choose_precision(cpu, "fp32") == Precision(None, False, False)
    expected = Precision(torch.bfloat16, True, False) if cpu_has_bf16() else Precision(None, False, False)
    assert choose_precision(cpu) == expected
    assert Precision(torch.bfloat16, True, False).label == "bf16 autocast + channels_last"
    assert Precision(torch.float16, True, True).label == "fp16 autocast + channels_last"
    assert Precision(None, False, False).label == "fp32"
    with autocast(cpu, Precision(None, False, False)):
        assert (torch.ones(2, 2) @ torch.ones(2, 2)).dtype == torch.float32
    with autocast(cpu, Precision(torch.bfloat16, False, False)):
        assert (torch.ones(2, 2) @ torch.ones(2, 2)).dtype == torch.bfloat16


def test_precision_can_be_forced_and_fp16_trains_with_loss_scaling():
    cpu = torch.device("cpu")
    assert choose_precision(cpu, force="fp16") == Precision(torch.float16, True, True)
    assert choose_precision(cpu, force="bf16") == Precision(torch.bfloat16, True, False)
    assert choose_precision(cpu, force="fp32") == Precision(None, False, False)
    assert choose_precision(cpu, force="auto") == choose_precision(cpu)
    with pytest.raises(ValueError, match="precision='fp8' is not valid; choose one of 'auto', 'fp32', 'bf16', 'fp16'"):
        choose_precision(cpu, force="fp8")
    # The path a T4 takes (fp16 autocast + GradScaler), forced on the CPU: it must still learn.
    model, h = fit(epochs=3, precision="fp16", recipe="d2l", lr=0.1)
    assert h.config["precision"] == "fp16 autocast + channels_last"
    assert h.epochs[-1]["train_loss"] < h.epochs[0]["train_loss"] and h.final_test_acc > 0.3


# ----------------------------------------------------------------------------- recipes and schedule


def test_get_recipe():
    with pytest.raises(ValueError, match="recipe='adam' is not valid; choose one of 'paper', 'd2l', 'fast'"):
        get_recipe("adam")
    assert get_recipe("paper", lr=0.1).lr == 0.1 and RECIPES["paper"].lr == 0.01  # a copy, not a change
    assert get_recipe("paper", lr=None) is RECIPES["paper"]
    custom = Recipe("mine", lr=0.2)
    assert get_recipe(custom) is custom
    for bad in (0, -0.1, 1e6, math.nan):
        with pytest.raises(ValueError, match=f"lr={bad!r} must be"):
            get_recipe("fast", lr=bad)
    with pytest.raises(ValueError, match="must be a recipe name"):
        get_recipe(3)


def test_onecycle_schedule_known_values():
    r = get_recipe("fast", lr=0.1)  # warmup 0.15
    total = 115  # warmup int(0.15 * 115) = 17 steps, then 98 cosine steps
    assert lr_at(r, 0, total) == pytest.approx(0.1 / 17)
    assert lr_at(r, 16, total) == pytest.approx(0.1)  # warmup ends at the peak
    assert lr_at(r, 17, total) == pytest.approx(0.1)  # the cosine starts there
    assert lr_at(r, 17 + 49, total) == pytest.approx(0.05)  # half way down the cosine: half the peak
    assert lr_at(r, 17 + 98, total) == pytest.approx(0.0, abs=1e-15)
    lrs = [lr_at(r, s, total) for s in range(total)]
    assert all(a < b for a, b in zip(lrs[:16], lrs[1:17])) and all(a >= b for a, b in zip(lrs[17:], lrs[18:]))


def test_optimizer_decays_weights_but_not_biases():
    model = tiny_net().double()  # float64, so one decay step (a change of 5e-6 relative) is exact to see
    recipe = RECIPES["paper"]
    opt = make_optimizer(model, recipe)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    for p in model.parameters():
        p.grad = torch.zeros_like(p)
    opt.step()  # zero loss gradient: only weight decay moves anything
    for n, p in model.named_parameters():
        if n.endswith("bias"):
            assert torch.equal(p, before[n]), n
        else:
            assert not torch.equal(p, before[n]), n
            assert torch.allclose(p, before[n] * (1 - recipe.lr * recipe.weight_decay), rtol=0, atol=1e-15), n
    assert opt.defaults["momentum"] == 0.9 and not opt.defaults["nesterov"]
    assert make_optimizer(model, RECIPES["fast"]).defaults["nesterov"]
    assert not make_optimizer(model, get_recipe("fast", momentum=0.0)).defaults["nesterov"]


# ----------------------------------------------------------------------------- evaluate


class Constant(nn.Module):
    """Logits 1 for class 3 and 0 elsewhere, whatever the input: its predictions and loss are known."""

    def __init__(self):
        super().__init__()
        self.unused = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        out = torch.zeros(len(x), 10)
        out[:, 3] = 1.0
        return out


def test_evaluate_against_a_model_with_known_answers():
    _, test = loaders(n_test=50, batch=16)  # labels 0..9 five times each
    model = Constant().train()
    ev = evaluate(model, test, precision="fp32")
    assert model.training  # restored
    expected = torch.zeros(10, 10, dtype=torch.long)
    expected[:, 3] = 5
    assert torch.equal(ev.confusion, expected) and ev.accuracy == pytest.approx(0.1)
    # Cross-entropy of logits (0, .., 1, .., 0): log(9 + e) minus 1 for the images of class 3.
    assert ev.loss == pytest.approx(math.log(9 + math.e) - 0.1, rel=1e-6)
    with pytest.raises(ValueError, match="empty loader"):
        evaluate(model, [])


# ----------------------------------------------------------------------------- fit


@pytest.fixture(scope="module")
def real_data():
    if find_fashion_mnist() is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set but Fashion-MNIST was not found (sudo apt install dataset-fashion-mnist)")
        pytest.skip("Fashion-MNIST not found here")
    return load_fashion_mnist(download=False)


def test_fit_learns_real_data_and_records_provenance(real_data, tmp_path):
    train = DeviceLoader(real_data.train_images, real_data.train_labels, batch_size=32, size=28, shuffle=True,
                         subset=1024)
    test = DeviceLoader(real_data.test_images, real_data.test_labels, batch_size=64, size=28, subset=256)
    h = loop.fit(tiny_net(), train, test, epochs=2, recipe="fast", lr=0.05, progress=False,
                 checkpoint=tmp_path / "ck.pt")
    assert [e["epoch"] for e in h.epochs] == [1, 2] and [e["steps"] for e in h.epochs] == [32, 64]
    assert h.final_test_acc > 0.5  # chance is 0.1
    for e in h.epochs:
        assert all(math.isfinite(e[k]) for k in ("train_loss", "train_acc", "test_loss", "images_per_s"))
        assert e["images_per_s"] == pytest.approx(1024 / e["train_seconds"])
    assert h.epochs[-1]["lr"] == pytest.approx(lr_at(get_recipe("fast", lr=0.05), 63, 64))
    assert (h.config["train_images"], h.config["test_images"], h.config["seed"]) == (1024, 256, 0)
    assert h.config["parameters"] == sum(p.numel() for p in tiny_net().parameters())
    assert h.provenance["torch"] == torch.__version__ and h.provenance["device"] == str(default_device())
    assert [p.name for p in tmp_path.iterdir()] == ["ck.pt"]
    assert load_checkpoint(tmp_path / "ck.pt")["history"] == h.to_dict()


def test_resume_without_a_checkpoint_is_a_fresh_identical_run(tmp_path):
    fresh, h_fresh = fit(tmp_path / "a.pt")
    resumed, h_resumed = fit(tmp_path / "b.pt", resume=True)
    assert same_weights(fresh, resumed)
    assert without_timing(h_resumed) == without_timing(h_fresh) and h_resumed.config == h_fresh.config
    assert "resumed_after_epoch" not in h_resumed.provenance


class Interrupted(Exception):
    pass


def test_resume_after_an_interruption_reproduces_the_uninterrupted_run(tmp_path):
    straight, h_straight = fit(tmp_path / "a.pt", epochs=3)

    def crash_in_epoch_3(step):
        if step.epoch == 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        fit(tmp_path / "b.pt", epochs=3, on_step=crash_in_epoch_3)
    assert load_checkpoint(tmp_path / "b.pt")["epoch"] == 1  # epochs 1 and 2 were saved
    resumed, h_resumed = fit(tmp_path / "b.pt", epochs=3, resume=True)
    assert same_weights(straight, resumed)
    assert without_timing(h_resumed) == without_timing(h_straight)
    assert h_resumed.provenance["resumed_after_epoch"] == 2  # the two finished epochs were skipped


@pytest.mark.parametrize("change, keys", [
    (dict(lr=0.02), ["recipe_settings"]),
    (dict(epochs=2), ["epochs: 1 -> 2"]),
    (dict(seed=1), ["seed: 0 -> 1"]),
    (dict(lr=0.02, seed=3), ["recipe_settings", "seed: 0 -> 3"]),
])
def test_resume_with_other_settings_is_refused_naming_them(tmp_path, change, keys):
    ck = tmp_path / "ck.pt"
    fit(ck, epochs=1)
    before = ck.read_bytes()
    with pytest.raises(ValueError, match="was written with other settings than this run asks for") as err:
        fit(ck, resume=True, **{"epochs": 1, **change})
    for key in keys:
        assert key in str(err.value)
    assert "epochs" not in str(err.value) or "epochs" in change
    assert ck.read_bytes() == before


def test_an_existing_checkpoint_is_replaced_only_when_asked(tmp_path):
    ck = tmp_path / "ck.pt"
    first, _ = fit(ck, epochs=1)
    before = ck.read_bytes()
    with pytest.raises(ValueError, match="already holds another run's checkpoint; resume it"):
        fit(ck, epochs=1, seed=5)
    assert ck.read_bytes() == before
    with pytest.raises(ValueError, match="choose one"):
        fit(ck, epochs=1, resume=True, overwrite=True)
    second, h = fit(ck, epochs=1, seed=5, overwrite=True)
    state = load_checkpoint(ck)
    assert state["history"]["config"]["seed"] == 5 and not same_weights(first, second)
    assert all(torch.equal(state["model"][k], v) for k, v in second.state_dict().items())


def test_on_step_sees_every_step_and_stops_training_by_returning_true():
    seen = []

    def on_step(s: Step) -> bool:
        # The loss handed over is the recipe's loss on exactly these logits and labels (label smoothing 0.1).
        want = F.cross_entropy(s.logits.float(), s.labels, label_smoothing=0.1)
        assert torch.allclose(s.loss, want) and s.logits.shape == (32, 10)
        seen.append((s.step, s.epoch, s.images))
        return s.step == 3

    model, h = fit(epochs=2, recipe="fast", on_step=on_step)
    assert seen == [(1, 0, 32), (2, 0, 64), (3, 0, 96)]  # stopped after the third of 4 steps of epoch 1
    assert len(h.epochs) == 1 and h.epochs[0]["steps"] == 3
    assert "test_acc" in h.epochs[0]  # the stopped epoch is still evaluated and recorded


def test_evaluate_on_records_name_acc_and_loss_for_each_extra_loader():
    train, test = loaders()
    model = tiny_net()
    h = loop.fit(model, train, test, epochs=1, recipe="paper", precision="fp32", progress=False,
              evaluate_on={"train_eval": train, "again": test})
    last = h.epochs[-1]
    on_train = evaluate(model, train, precision="fp32")  # the trained model, in eval mode, recomputed here
    assert (last["train_eval_acc"], last["train_eval_loss"]) == (on_train.accuracy, pytest.approx(on_train.loss))
    assert (last["again_acc"], last["again_loss"]) == (last["test_acc"], pytest.approx(last["test_loss"]))


class NaNAfter(nn.Module):
    """Wraps a model and poisons its output from the given forward call on."""

    def __init__(self, model, bad_call):
        super().__init__()
        self.model, self.bad_call, self.calls = model, bad_call, 0

    def forward(self, x):
        out = self.model(x)
        self.calls += 1
        return out * float("nan") if self.calls > self.bad_call else out


def test_nan_loss_stops_with_step_and_advice_and_keeps_the_last_checkpoint(tmp_path):
    train, _ = loaders(n_train=256)  # 8 steps an epoch
    ck = tmp_path / "ck.pt"
    with pytest.raises(NonFiniteLossError, match=r"at step 11 \(counting from 0\) with peak learning rate 0.05: "
                                                   r"training stopped; the last epoch's checkpoint was kept.*lr=0.005"):
        loop.fit(NaNAfter(tiny_net(), bad_call=11), train, None, epochs=3, lr=0.05, checkpoint=ck, progress=False)
    assert load_checkpoint(ck)["epoch"] == 0  # epoch 1 was saved; the poisoned epoch 2 was not


@pytest.mark.parametrize("kwargs, match", [
    (dict(resume=True), "resume=True needs checkpoint"),
    (dict(epochs=0), "epochs=0 must be an integer from 1 to 10000"),
    (dict(seed=-1), "seed=-1"),
    (dict(resume=1, checkpoint="x.pt"), "resume=1 must be True or False"),
    (dict(recipe="adam"), "recipe='adam'"),
    (dict(device="foo"), "device='foo'"),
])
def test_fit_refuses_bad_arguments_before_training(kwargs, match):
    train, _ = loaders()
    with pytest.raises(ValueError, match=match):
        loop.fit(tiny_net(), train, None, progress=False, **kwargs)


def test_fit_refuses_a_folder_as_checkpoint_and_an_empty_loader(tmp_path):
    train, _ = loaders()
    with pytest.raises(ValueError, match="is a folder"):
        loop.fit(tiny_net(), train, None, checkpoint=tmp_path, progress=False)
    with pytest.raises(ValueError, match="yields no batches"):
        loop.fit(tiny_net(), [], None, progress=False)


# ----------------------------------------------------------------------------- train() and the command line


def test_train_refuses_an_out_folder_that_holds_a_run(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "history.json").write_text("{}")
    with pytest.raises(ValueError, match="already holds a run; continue it with resume=True"):
        run.train(profile="smoke", out=out, device="cpu", verbose=False)
    with pytest.raises(ValueError, match="choose one"):
        run.train(profile="smoke", out=out, device="cpu", resume=True, overwrite=True, verbose=False)
    assert (out / "history.json").read_text() == "{}"


@pytest.fixture
def a_file(tmp_path):
    f = tmp_path / "file.txt"
    f.write_text("not a folder")
    return f


@pytest.mark.parametrize("args, words", [
    (["--device", "foo"], ["device='foo' is not a device name"]),
    (["--lr", "1e6"], ["lr=1000000.0 must be a finite number > 0 and <= 10"]),
    (["--out", "FILE"], ["is a file; give a folder"]),
])
def test_cli_errors_are_one_line_without_traceback(args, words, a_file):
    args = [str(a_file) if a == "FILE" else a for a in args]
    env = {**os.environ, "ALEXNET_PROFILE": "smoke"}
    env.pop("ALEXNET_DEBUG", None)
    proc = subprocess.run([sys.executable, "-m", "alexnet_lib", "train", "--no-progress", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in proc.stderr, proc.stderr
    for word in words:
        assert word in lines[0]
    assert a_file.read_text() == "not a folder"


def test_cli_train_passes_every_option_through(tmp_path, monkeypatch, capsys):
    """The command line's train options reach train() unchanged (training itself is tested above)."""
    calls = []
    monkeypatch.setattr(run, "train", lambda **kwargs: calls.append(kwargs))
    out = tmp_path / "run"
    assert main(["train", "--profile", "smoke", "--recipe", "paper", "--epochs", "3", "--lr", "0.02", "--out", str(out),
                 "--overwrite", "--device", "cpu", "--seed", "4", "--no-progress", "--images", "96",
                 "--dropout", "0", "--precision", "fp16"]) == 0
    assert calls == [dict(profile="smoke", recipe="paper", epochs=3, out=out, device="cpu", resume=False,
                          overwrite=True, seed=4, lr=0.02, progress=False, minutes=None, images=96,
                          dropout=0.0, precision="fp16")]
    assert main(["train", "--minutes", "2.5", "--out", str(out)]) == 0
    assert calls[-1]["minutes"] == 2.5 and calls[-1]["epochs"] is None and calls[-1]["precision"] == "auto"
    assert f"wrote {out / 'history.json'} and {out / 'checkpoint.pt'}" in capsys.readouterr().out
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--resume"]) == 0
    assert calls[-1]["out"] == Path("runs-local") / "auto-fast" and calls[-1]["resume"] is True
    assert calls[-1]["profile"] is None and calls[-1]["precision"] == "auto" and calls[-1]["overwrite"] is False


def test_cli_turns_a_bug_into_one_line_unless_debugging(monkeypatch, capsys):
    def broken(**kwargs):
        raise KeyError("oops")

    monkeypatch.setattr(run, "train", broken)
    monkeypatch.delenv("ALEXNET_DEBUG", raising=False)
    assert main(["train", "--out", "x"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("internal error: KeyError: 'oops'") and "ALEXNET_DEBUG=1" in err
    assert len(err.splitlines()) == 1
    monkeypatch.setenv("ALEXNET_DEBUG", "1")
    with pytest.raises(KeyError):
        main(["train", "--out", "x"])
    monkeypatch.setattr(run, "train", lambda **kwargs: (_ for _ in ()).throw(NonFiniteLossError("the loss became NaN")))
    assert main(["train", "--out", "x"]) == 2
    assert capsys.readouterr().err == "error: the loss became NaN\n"


def test_nan_loss_without_a_checkpoint_claims_none():
    train, _ = loaders(n_train=256)
    with pytest.raises(NonFiniteLossError, match=r"at step 3 \(counting from 0\) with learning rate 0.05: "
                                                   r"training stopped\. Try"):
        loop.fit(NaNAfter(tiny_net(), bad_call=3), train, None, epochs=1, recipe="d2l", lr=0.05, progress=False)


def test_the_schedule_is_the_one_place_the_rate_changes():
    from alexnet_lib.engine.recipes import Schedule

    net = tiny_net()
    onecycle = Schedule(RECIPES["fast"], make_optimizer(net, RECIPES["fast"]), total_steps=40)
    for step in (0, 5, 39):
        onecycle.before_step(step)
        assert {g["lr"] for g in onecycle.optimizer.param_groups} == {lr_at(RECIPES["fast"], step, 40)}
    onecycle.after_epoch(0.5)  # a onecycle run ignores the epoch's accuracy
    assert onecycle.state_dict() is None
    plateau = Schedule(RECIPES["paper"], make_optimizer(net, RECIPES["paper"]), total_steps=40)
    rates = []
    for accuracy in (0.5, 0.6, 0.6, 0.7, 0.7):
        plateau.before_step(0)  # a plateau schedule never changes the rate within an epoch
        plateau.after_epoch(accuracy)
        rates.append(plateau.optimizer.param_groups[0]["lr"])
    assert rates == pytest.approx([0.01, 0.01, 0.001, 0.001, 0.0001])
    again = Schedule(RECIPES["paper"], make_optimizer(net, RECIPES["paper"]), total_steps=40)
    again.load_state_dict(plateau.state_dict())
    assert again.plateau.best == plateau.plateau.best and again.plateau.num_bad_epochs == plateau.plateau.num_bad_epochs


def test_the_command_lines_choices_are_the_librarys_tables():
    from alexnet_lib.__main__ import _parser
    from alexnet_lib.engine.precision import PRECISIONS
    from alexnet_lib.experiments import EXPERIMENTS

    actions = {(sub, a.dest): a.choices for sub, p in _parser()._subparsers._group_actions[0].choices.items()
               for a in p._actions}
    assert actions[("train", "profile")] == list(PROFILES) and actions[("execute", "profile")] == list(PROFILES)
    assert actions[("train", "recipe")] == list(RECIPES) and list(actions[("train", "precision")]) == list(PRECISIONS)
    assert list(actions[("record", "experiment")]) == list(EXPERIMENTS)
    assert ("train", "no_fast") not in actions  # one precision knob: --precision fp32 is plain fp32
