"""A time budget instead of a fixed size: the plan's arithmetic, measuring speed, and train(minutes=...)."""

import copy
from dataclasses import replace

import pytest
import torch
from torch import nn

from alexnet_lib.engine import budget as B
from alexnet_lib.engine.loop import fit
from alexnet_lib.engine.recipes import get_recipe
from alexnet_lib.engine.run import measure, train
from tests.nets import loaders, same_weights, tiny_net

SPEEDS = B.Speeds(seconds_per_step=1.0, eval_images_per_s=100.0)


def test_plan_fills_the_budget_with_steps_and_pays_for_each_epochs_end():
    # 60 s; an epoch end costs 200 images / 100 per s + 3 steps = 5 s. One epoch (10 steps) leaves room,
    # so epochs grow until steps fit: 4 epochs, 60 - 4 * 5 = 40 steps = exactly 4 epochs of 10.
    plan = B.plan_budget(1, SPEEDS, steps_per_epoch=10, batch_size=8, train_images=80, eval_images_per_epoch=200)
    assert (plan.steps, plan.epochs, plan.images) == (40, 4, 320)
    assert plan.predicted_seconds == pytest.approx(60.0)
    # With a long epoch the budget ends inside the first one: 60 - 5 - 15 spent = 40 steps of 100.
    plan = B.plan_budget(1, SPEEDS, steps_per_epoch=100, batch_size=8, train_images=800, eval_images_per_epoch=200,
                         spent_seconds=15)
    assert (plan.steps, plan.epochs, plan.images) == (40, 1, 320)
    assert plan.predicted_seconds == pytest.approx(60.0)
    text = plan.text()
    assert "40 steps = 320 images (0.40 epochs of 800)" in text and "predicted end" in text
    assert plan.to_dict()["predicted_seconds"] == pytest.approx(60.0)


def test_a_budget_too_small_to_train_says_how_much_is_needed():
    # 5 s spent + 10 steps of 1 s + one epoch's end (200 / 100 + 3 steps = 5 s) = 20 s: a third of a minute,
    # rounded up to 0.4.
    assert B.smallest_budget(SPEEDS, 200, spent_seconds=5) == 0.4
    with pytest.raises(ValueError, match=r"minutes=0.1 leaves too little time to train on this machine \(0 steps\): "
                                         r".* give at least 0.4 minutes"):
        B.plan_budget(0.1, SPEEDS, steps_per_epoch=10, batch_size=8, train_images=80, eval_images_per_epoch=200,
                      spent_seconds=5)
    # The test set, evaluated once at the end, is part of the bill: 1,000 images at 100/s add 10 s.
    assert B.smallest_budget(SPEEDS, 200, spent_seconds=5, final_eval_images=1000) == 0.5
    B.plan_budget(0.4, SPEEDS, steps_per_epoch=10, batch_size=8, train_images=80, eval_images_per_epoch=200,
                  spent_seconds=5)  # the smallest budget said is enough
    with pytest.raises(ValueError, match=r"testing 1,000 images once 10 s; give at least 0.5 minutes"):
        B.plan_budget(0.4, SPEEDS, steps_per_epoch=10, batch_size=8, train_images=80, eval_images_per_epoch=200,
                      spent_seconds=5, final_eval_images=1000)
    for bad in (0, -1, float("nan")):
        with pytest.raises(ValueError, match="minutes="):
            B.plan_budget(bad, SPEEDS, steps_per_epoch=10, batch_size=8, train_images=80, eval_images_per_epoch=1)


def test_the_test_set_is_paid_for_once_at_the_end_and_validation_is_sized_to_the_budget():
    # 60 s with a final test of 1,000 images at 100/s (10 s): 50 s left, in epochs of 10 steps + 5 s = 15 s:
    # 3 whole epochs (45 s), and 5 - 5 = 0 steps of a fourth. 30 steps.
    plan = B.plan_budget(1, SPEEDS, steps_per_epoch=10, batch_size=8, train_images=80, eval_images_per_epoch=200,
                         final_eval_images=1000)
    assert (plan.steps, plan.epochs, plan.final_eval_seconds) == (30, 3, 10.0)
    assert plan.predicted_seconds == pytest.approx(55.0)
    assert "testing 1,000 images once" in plan.text() and "(50% of the budget)" in plan.text()
    # Validation gets 3% of the budget over its epoch ends, at least 500 images, at most what is held out.
    fast_eval = B.Speeds(seconds_per_step=1.0, eval_images_per_s=1000.0)
    # 30 min, 1,800 steps of 1 s in epochs of 900: 2 epoch ends share 0.03 * 1,800 s * 1,000/s = 54,000 images
    assert B.validation_images(30, fast_eval, available=100_000, steps_per_epoch=900) == 27_000
    assert B.validation_images(30, fast_eval, available=2_000, steps_per_epoch=900) == 2_000
    assert B.validation_images(1, SPEEDS, available=2_000, steps_per_epoch=10) == 500  # 3% would be 30 images
    assert B.validation_images(1, SPEEDS, available=160, steps_per_epoch=10) == 160


def test_a_budget_that_needs_more_epochs_than_fit_allows_names_what_to_change():
    fast = B.Speeds(seconds_per_step=0.001, eval_images_per_s=1e6)
    with pytest.raises(ValueError, match=r"minutes=600 would take .* epochs .* more than 10,000: train on more images"):
        B.plan_budget(600, fast, steps_per_epoch=1, batch_size=100, train_images=100, eval_images_per_epoch=100)


class Clock:
    """A clock the test sets by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_pacer_replans_the_rest_of_the_run_from_the_speed_its_steps_had():
    # Planned at 1 s per step: 40 steps in 4 epochs of 10, each epoch's end 5 s, 60 s in all.
    plan = B.plan_budget(1, SPEEDS, steps_per_epoch=10, batch_size=8, train_images=80, eval_images_per_epoch=200)
    clock, said = Clock(), []
    pacer = B.Pacer(plan, deadline=60.0, device=torch.device("cpu"), clock=clock, say=said.append)
    assert pacer.steps == 40 and not pacer.due(3) and pacer.due(4) and not pacer.due(40)
    # The first 10 steps took 20 s: twice as slow, so an epoch's end takes 200 / 50 + 3 * 2 = 10 s. Left: 40 s
    # = 10 more steps (20 s) and the ends of epochs 1 and 2 (20 s).
    clock.now = 20.0
    assert pacer.revise(10, train_seconds=20.0) == 20
    assert said[-1].startswith("re-planned at step 10: 2.00 s per step since step 0, 0.7 min left: 20 steps in all "
                               "(was 40), predicted end ")
    assert not pacer.due(11) and pacer.due(12)  # the next look: a tenth of the new plan later
    with pytest.raises(ValueError, match="the pacer's plan has 10 steps per epoch but train_loader 4: plan for"):
        fit(tiny_net(), *loaders(), pacer=pacer)
    with pytest.raises(ValueError, match=r"give max_steps \(a fixed length\) or pacer"):
        fit(tiny_net(), *loaders(), pacer=pacer, max_steps=3)
    # Then 5 steps at 1 s again, after epoch 1's end took 10 s: 25 s left = 15 steps and the ends of epochs 2 and 3.
    clock.now = 35.0
    assert pacer.revise(15, train_seconds=25.0) == 30
    # Past the deadline, the run ends where it is.
    clock.now = 61.0
    assert pacer.revise(17, train_seconds=27.0) == 17 and not pacer.due(17)
    record = pacer.to_dict()
    assert record["steps"] == 40 and [r["steps"] for r in record["replans"]] == [20, 30, 17]
    assert record["replans"][0] == {"at_step": 10, "seconds_per_step": 2.0, "seconds_left": 40.0, "steps": 20}


def test_measure_times_a_copy_and_leaves_the_model_untouched():
    model = tiny_net()
    before = copy.deepcopy(model)
    train_loader, test_loader = loaders()
    speeds = measure(model, train_loader, test_loader, get_recipe("fast"), torch.device("cpu"), precision="fp32",
                     steps=2)
    assert 0 < speeds.seconds_per_step < 5 and 0 < speeds.eval_images_per_s < float("inf")
    assert same_weights(model, before)


class Small224(nn.Module):
    """A fast net for 224x224 inputs, so a budgeted run of the real data takes seconds."""

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.AvgPool2d(8), nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(4),
                                 nn.Flatten(), nn.Linear(64, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


@pytest.mark.slow
def test_train_with_minutes_trains_exactly_the_planned_steps_and_resume_keeps_the_plan(tmp_path, capsys):
    model, h = train(profile="smoke", minutes=0.25, model=Small224(), out=tmp_path, progress=False)
    out = capsys.readouterr().out
    plan = h.config["budget"]
    assert "budget 0.25 min: measured" in out and f"plan: {plan['steps']} steps" in out
    # The run stops where the plan, re-planned as it went, ends.
    last_plan = ([plan["steps"]] + [r["steps"] for r in plan["replans"]])[-1]
    assert h.config["max_steps"] == last_plan == h.epochs[-1]["steps"]
    assert len(h.epochs) == h.config["epochs"] and all("val_acc" in e for e in h.epochs)
    assert h.config["train_images"] == 640
    # The test set once, after the last step, counted in the plan; validation at every epoch's end.
    assert [("test_acc" in e) for e in h.epochs] == [False] * (len(h.epochs) - 1) + [True]
    assert plan["final_eval_images"] == h.config["final_test_images"] == 320 and h.final_test_acc is not None
    assert "measuring this machine: 7 training steps of 32 images" in out and "the smallest budget that trains" in out
    assert "validation: 160 of the 160 held-out images at each epoch's end (standard error" in out
    assert "% of the budget)" in out
    summary = h.budget_summary()
    assert f"planned {plan['steps']} steps = {plan['images']:,} images" in summary and "% of the budget)" in summary
    with pytest.raises(ValueError, match="this run had no time budget"):
        type(h)().budget_summary()
    _, again = train(profile="smoke", minutes=0.25, model=Small224(), out=tmp_path, resume=True, progress=False)
    assert again.config["budget"] == plan and again.epochs == h.epochs  # nothing left to train
    with pytest.raises(ValueError, match="was planned for 0.25 minutes; resume it without --minutes"):
        train(profile="smoke", minutes=1, model=Small224(), out=tmp_path, resume=True, progress=False)
    with pytest.raises(ValueError, match="give minutes .* or epochs .*, not both"):
        train(profile="smoke", minutes=1, epochs=2)


def test_a_run_behind_its_budget_is_replanned_to_end_and_resumes_with_the_new_plan(tmp_path, monkeypatch, capsys):
    import functools

    from alexnet_lib.engine import run

    late = Clock()
    late.now = float("1e12")  # long past any deadline: the first look ends the run
    monkeypatch.setattr(run, "Pacer", functools.partial(B.Pacer, clock=late))
    _, h = train(profile="smoke", minutes=0.25, model=Small224(), out=tmp_path, progress=False)
    out = capsys.readouterr().out
    plan = h.config["budget"]
    assert plan["steps"] > h.config["train_images"] // h.config["batch_size"]  # planned for more than one epoch
    (replan,) = plan["replans"]
    assert replan["steps"] == replan["at_step"] == h.config["max_steps"] == h.epochs[-1]["steps"]
    # 640 images in steps of 32: the first look comes at an epoch's end
    assert h.config["epochs"] == len(h.epochs) == replan["steps"] // 20
    assert f"re-planned at step {replan['at_step']}: " in out and "re-planned 1 time as it ran" in out
    _, again = train(profile="smoke", model=Small224(), out=tmp_path, resume=True, progress=False)
    assert again.config == h.config and again.epochs == h.epochs  # the re-planned run is complete


def test_a_profile_scales_the_recipes_rate_unless_a_rate_is_given(monkeypatch):
    from alexnet_lib.engine.profiles import PROFILES

    monkeypatch.setitem(PROFILES, "smoke", replace(PROFILES["smoke"], lr_scale=0.5))
    _, h = train(profile="smoke", recipe="fast", epochs=1, images=64, model=Small224(), progress=False, verbose=False)
    assert h.config["recipe_settings"]["lr"] == pytest.approx(0.025)  # the fast recipe's 0.05, halved
    _, h = train(profile="smoke", recipe="fast", epochs=1, images=64, model=Small224(), lr=0.01, progress=False,
                 verbose=False)
    assert h.config["recipe_settings"]["lr"] == 0.01  # a rate asked for is the rate used


def test_the_validation_split_is_held_out_of_training():
    from alexnet_lib.data.fashion_mnist import load_fashion_mnist
    from alexnet_lib.data.loader import fashion_mnist_splits, validation_indices

    labels = load_fashion_mnist().train_labels
    keep, val = validation_indices(labels, 2_000)
    assert len(val) == 2_000 and len(keep) == 58_000 and not set(val.tolist()) & set(keep.tolist())
    assert torch.bincount(labels[val]).tolist() == [200] * 10  # class-balanced
    assert torch.equal(validation_indices(labels, 2_000)[1], val)  # the same images whatever the run
    s = fashion_mnist_splits(batch_size=64, size=28, validation=500, train_subset=1_000, seed=3)
    assert (s.train.num_images, s.val.num_images, s.test.num_images) == (1_000, 500, 10_000)
    train_rows = {tuple(r.flatten().tolist()) for r in s.train.images[:200]}
    assert not train_rows & {tuple(r.flatten().tolist()) for r in s.val.images}
    with pytest.raises(ValueError, match="validation=60000 must be an integer from 1 to 59999"):
        validation_indices(labels, 60_000)


def test_train_refuses_a_bad_budget_or_too_many_images_before_training():
    with pytest.raises(ValueError, match="minutes=-1 must be a finite number > 0"):
        train(profile="smoke", minutes=-1)
    with pytest.raises(ValueError, match=r"train_subset=60000 \(train --images\) is more than the 59,840 training "
                                         r"images left after holding out 160 for validation"):
        train(profile="smoke", images=60_000)
