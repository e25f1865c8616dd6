"""The one experiment runner: a tiny run end to end, findings from known records, bad input, and the recorded runs."""

import json
import math
from dataclasses import asdict, replace

import pytest
import torch

from alexnet_lib.book import run_plots
from alexnet_lib.engine.recipes import RECIPES
from alexnet_lib.experiments import augmentation, depth, dropout, lrn, pooling, recipes, relu_tanh, runner
from alexnet_lib.experiments.runner import (
    Arm,
    Claim,
    Experiment,
    Scale,
    Target,
    arms_table,
    build_model,
    chosen_runs,
    curve_table,
    finding,
    findings,
    last_fifth_fall,
    report,
    run_experiment,
    selection_table,
    settings_text,
    steps_to,
    validate_runs,
)
from alexnet_lib.experiments.sample import encode_hits, paired_sample_error
from alexnet_lib.experiments.schema import load
from alexnet_lib.experiments.stats import t_interval, with_sample_error
from alexnet_lib.net.activations import four_layer_net, unit_fractions
from alexnet_lib.net.model import (
    SATURATING_GAIN,
    AlexNet,
    alexnet_fashion,
    count_parameters,
    fashion_config,
    init_weights,
)
from alexnet_lib.toolkits.lrn import lrn_activity
from tests.chapters import ROOT

EXPERIMENTS = (relu_tanh, lrn, pooling, dropout, recipes, augmentation, depth)

#: Two narrow AlexNets that differ in their LRN, so a tiny run takes seconds.
TINY = Experiment(
    name="tiny", question="Does LRN help a narrow AlexNet?", model="alexnet_fashion",
    base_model={"hidden": 32, "channels": (8, 16, 16, 16, 8)},
    arms={"acting": Arm({"lrn_alpha": 100.0}), "constant": Arm({"lrn_alpha": 0.0})},
    recipe=RECIPES["fast"],
    claims=(Claim("LRN's gain", "acting", "constant", "test_acc", "difference", 0.014),),
    precision="fp32",
    scales={"tiny": Scale("tiny", 71, 64, 32, 32, 2, 16, (0, 1), (0.01, 0.05), curve_images=32, log_every=2)},
)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    path = tmp_path_factory.mktemp("runs") / "tiny.json"
    return run_experiment(TINY, "tiny", out=path, progress=False), path


def _strip(record):
    return [{k: v for k, v in r.items() if k != "seconds"} | {"curve": [{k: v for k, v in p.items() if k != "seconds"}
                                                                         for p in r["curve"]]} for r in record["runs"]]


def test_a_tiny_run_records_every_arm_seed_and_learning_rate(tiny):
    record, path = tiny
    assert load(path) == validate_runs(load(path))
    runs = record["runs"]
    # Selection: every lr on seed 0 per arm; measurement: seed 1 at the chosen lr only.
    assert [(r["arm"], r["seed"], r["lr"]) for r in runs] == [
        ("acting", 0, 0.01), ("acting", 0, 0.05), ("constant", 0, 0.01), ("constant", 0, 0.05),
        ("acting", 1, record["settings"]["chosen_lr"]["acting"]),
        ("constant", 1, record["settings"]["chosen_lr"]["constant"])]
    for arm in TINY.arms:
        tried = [r for r in runs if r["arm"] == arm and r["seed"] == 0]
        best = max(tried, key=lambda r: r["val_acc"])  # chosen on validation accuracy, never the test set
        assert record["settings"]["chosen_lr"][arm] == best["lr"] and best["chosen"]
    assert sorted(chosen_runs(record)) == [("acting", 0), ("acting", 1), ("constant", 0), ("constant", 1)]
    for r in runs:  # 64 images in batches of 16 for 2 epochs: 8 steps, a curve point every 2
        assert r["steps"] == 8 and [p["step"] for p in r["curve"]] == [2, 4, 6, 8]
        assert [p["epoch"] for p in r["curve"]] == [0.5, 1.0, 1.5, 2.0]
        assert 0 <= r["test_acc"] <= 1 and r["train_acc"] == pytest.approx(1 - r["curve"][-1]["train_error"])
    st = record["settings"]
    assert st["scale"]["seeds"] == [0, 1] and st["precision"] == "fp32" and "32 validation images" in st["data"]


def test_the_same_seed_gives_the_same_run_and_curve_points_do_not_change_it(tiny):
    record, _ = tiny
    again = run_experiment(TINY, "tiny", progress=False)
    assert _strip(again) == _strip(record)
    # Evaluating the curve at every step draws no random numbers: the runs end exactly where they did.
    dense = run_experiment(TINY, replace(TINY.scales["tiny"], log_every=1), progress=False)
    for a, b in zip(dense["runs"], record["runs"]):
        assert a["lr"] == b["lr"] and a["test_acc"] == b["test_acc"] and a["val_acc"] == b["val_acc"]
        assert [p for p in a["curve"] if p["step"] % 2 == 0][-1]["train_loss"] == b["curve"][-1]["train_loss"]


def test_tables_text_and_figures_of_a_record(tiny):
    record, _ = tiny
    table = str(arms_table(record))
    assert "acting" in table and "constant" in table and "95% interval" in table and "loss fall, last fifth" in table
    assert str(selection_table(record)).count("chosen") == 2
    text = report(record)
    assert text.splitlines()[0].startswith("recorded ") and text.splitlines()[-1].startswith("LRN's gain: ")
    assert settings_text(record).startswith("2 seeds x 2 arms (tiny scale), learning rates 0.01, 0.05 tried")
    ax = run_plots.plot_experiment_curves(record, "train_loss", levels=(0.5,)).axes[0]
    assert len(ax.lines) == 2 * 2 + 1  # one line per arm and seed, and the level
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        f"acting (lr {record['settings']['chosen_lr']['acting']:g})",
        f"constant (lr {record['settings']['chosen_lr']['constant']:g})"]
    bars = run_plots.plot_effects(record).axes[0]
    runs = chosen_runs(record)
    assert [p.get_height() for p in bars.patches] == pytest.approx(
        [(runs[(a, 0)]["test_acc"] + runs[(a, 1)]["test_acc"]) / 2 for a in ("acting", "constant")])
    with pytest.raises(ValueError, match="no 'saturated'"):
        run_plots.plot_experiment_curves(record, "saturated")


#: The tiny experiment with augmentation: random patches against none, and ten test patches against one.
TINY_AUGMENT = replace(
    TINY, name="tiny augment", arms={"patches": Arm(TINY.arms["constant"].model, augment=True),
                                     "whole": TINY.arms["constant"]},
    claims=(Claim("augmentation's gain", "patches", "whole", "test_acc"),
            Claim("less overfitting", "whole", "patches", "gap"),
            Claim("ten patches", "patches", "patches", "ten_patch_acc", metric_b="test_acc")),
    extra=augmentation.ten_patch_accuracy, extra_metrics=("ten_patch_acc",))


def test_an_augmented_arm_trains_on_patches_and_is_tested_on_one_and_on_ten(monkeypatch):
    seen = []
    original = runner.fit

    def spy(model, train, *args, **kwargs):
        seen.append((train.resize, train.augment))
        return original(model, train, *args, **kwargs)

    monkeypatch.setattr(runner, "fit", spy)
    record = run_experiment(TINY_AUGMENT, "tiny", progress=False)
    assert seen == [(81, True)] * 2 + [(None, False)] * 2 + [(81, True), (None, False)]  # the tiny scale's 71: 81
    for r in record["runs"]:
        assert 0 <= r["ten_patch_acc"] <= 1 and r["gap"] == pytest.approx(r["train_acc"] - r["test_acc"])
    assert record["settings"]["extra_metrics"] == ["ten_patch_acc"]
    assert record["settings"]["arms"]["patches"]["augment"] is True
    # Tiny runs never train: no verdict from them, only "inconclusive", and the line says why.
    assert {f.word for f in findings(record)} == {"inconclusive"}
    assert "below the 85% at which this course counts" in findings(record)[0].line
    for r in record["runs"]:  # as if they had trained, to read the effects off
        r["val_acc"] = runner.TRAINED
    found = findings(record)
    runs = chosen_runs(record)
    assert found[2].effects == pytest.approx([runs[("patches", s)]["ten_patch_acc"] - runs[("patches", s)]["test_acc"]
                                              for s in (0, 1)])
    assert found[1].effects == pytest.approx([runs[("whole", s)]["gap"] - runs[("patches", s)]["gap"] for s in (0, 1)])
    assert " points" in found[2].per_seed and " points" in found[1].per_seed


# ----------------------------------------------------------------------------- findings from known records


def _record(values, metric="test_acc", kind="difference", paper=0.014, curves=None, steps=None):
    """A record with two arms a, b and the given per-seed values (accuracies or curves)."""
    seeds = list(range(len(values)))
    runs = []
    for seed, (va, vb) in zip(seeds, values):
        for arm, v in (("a", va), ("b", vb)):
            curve = [] if curves is None else [{"step": 10 * (i + 1), "train_error": e} for i, e in enumerate(v)]
            runs.append({"arm": arm, "seed": seed, "lr": 0.1, "chosen": True, "diverged": False,
                         "steps": steps or 10 * len(curve), "val_acc": 0.5, "test_acc": v if curves is None else 0.5,
                         "curve": curve, "seconds": 1.0})
    claim = Claim("a against b", "a", "b", metric, kind, paper)
    settings = {"arms": {"a": {}, "b": {}}, "scale": {"seeds": seeds}, "chosen_lr": {"a": 0.1, "b": 0.1},
                "claims": []}
    return {"schema": "alexnet_lib.experiment/1", "experiment": "x", "question": "?", "settings": settings,
            "runs": runs, "provenance": {}}, claim


def test_a_difference_is_paired_over_seeds_with_a_t_interval():
    record, claim = _record([(0.80, 0.78), (0.75, 0.74), (0.90, 0.87)])
    f = finding(record, claim)
    assert f.effects == pytest.approx((0.02, 0.01, 0.03))
    # Paired: mean 0.02, sd 0.01, t(0.975, 2) = 4.303 -> half-width 0.02484; the arms' own spread does not count.
    assert (f.interval.mean, f.interval.low, f.interval.high) == pytest.approx((0.02, -0.00484, 0.04484), abs=1e-4)
    assert f.word == "inconclusive" and "n = 3" in f.line and "+1.4 points" in f.line


@pytest.mark.parametrize("values, word", [
    ([(0.80, 0.70), (0.81, 0.70), (0.82, 0.70)], "confirmed"),  # +11 points, tight: beyond the paper's 1.4
    ([(0.70, 0.75), (0.70, 0.76), (0.70, 0.74)], "contradicted"),
])
def test_difference_verdicts(values, word):
    assert finding(*_record(values)).word == word


def test_a_ratio_of_steps_to_a_level_uses_the_log_scale():
    level = Target("train_error", 0.2)
    # a reaches 0.2 at steps 60, 40, 80; b at 10, 10, 10: ratios 6, 4, 8.
    curves = [([0.5] * 5 + [0.2], [0.1]), ([0.5] * 3 + [0.2], [0.1]), ([0.5] * 7 + [0.2], [0.1])]
    record, claim = _record(curves, level, "ratio", 6.0, curves=True)
    f = finding(record, claim)
    assert f.effects == pytest.approx((6.0, 4.0, 8.0))
    assert f.interval.mean == pytest.approx((6 * 4 * 8) ** (1 / 3)) and f.interval.low < 6 < f.interval.high
    assert f.word == "confirmed" and f.censored == ()  # about [2.4x, 14x]: excludes 1x, covers 6x
    assert steps_to(record["runs"][0], level) == 60 and steps_to(record["runs"][0], Target("train_error", 0.05)) is None


def test_a_windowed_level_needs_the_curve_to_stay_down():
    run = {"curve": [{"step": 10 * (i + 1), "train_loss": v} for i, v in enumerate((2.0, 0.09, 0.3, 0.12, 0.07, 0.1,
                                                                                    None, 0.05, 0.05, 0.05))]}
    assert steps_to(run, Target("train_loss", 0.1)) == 20  # one point touches the level
    # The mean of three points: (0.12 + 0.07 + 0.1) / 3 < 0.1 first at step 60; a diverged point (None) never counts.
    assert steps_to(run, Target("train_loss", 0.1, window=3)) == 60
    assert steps_to(run, Target("train_loss", 0.06, window=3)) == 100
    assert str(Target("train_loss", 0.1, window=3)) == "train loss <= 0.1 (mean of 3 curve points)"
    with pytest.raises(ValueError, match="window=0"):
        Target("train_loss", 0.1, window=0)


def test_a_run_that_never_reaches_the_level():
    level = Target("train_error", 0.2)
    # a never reaches it within 100 steps: its ratio is a lower bound (100 / 10), and the line says so.
    record, claim = _record([([0.5], [0.1])] * 3, level, "ratio", 6.0, curves=True, steps=100)
    f = finding(record, claim)
    assert f.censored == (0, 1, 2) and f.effects == pytest.approx((10.0, 10.0, 10.0)) and "lower bounds" in f.line
    # b never reaching it leaves nothing to compare: this budget cannot tell.
    record, claim = _record([([0.1], [0.5])] * 3, level, "ratio", 6.0, curves=True)
    f = finding(record, claim)
    assert f.word == "inconclusive" and f.interval is None and "never reached" in f.line


def test_the_last_fifths_fall_is_read_off_the_curve():
    run = {"curve": [{"step": s, "train_loss": v} for s, v in ((10, 2.0), (50, 1.0), (80, 0.6), (100, 0.5))]}
    assert last_fifth_fall(run) == pytest.approx((0.6 - 0.5) / (2.0 - 0.5))  # step 80 is 80% of 100
    assert last_fifth_fall({"curve": run["curve"][:2]}) is None  # too few points to say
    assert last_fifth_fall({"curve": [{"step": s, "train_loss": 1.0} for s in (1, 2, 3)]}) is None  # no fall


def test_an_accuracy_interval_holds_the_test_samples_error():
    record, claim = _record([(0.0, 0.0)] * 3)
    g = torch.Generator().manual_seed(0)
    hits = {}
    for run in record["runs"]:  # runs that keep which of 1,000 test images they got right
        hits[(run["arm"], run["seed"])] = h = torch.rand(1000, generator=g) < (0.8 if run["arm"] == "a" else 0.78)
        run["test_hits"], run["test_acc"] = encode_hits(h), float(h.float().mean())
    f = finding(record, claim)
    se = paired_sample_error([hits[("a", s)].float() for s in range(3)], [hits[("b", s)].float() for s in range(3)])
    assert f.interval == with_sample_error(t_interval(f.effects), se) and se > 0.005
    assert "over seeds and the test sample" in f.line
    record["runs"][0]["test_hits"] = encode_hits(~hits[("a", 0)])  # hits that disagree with the accuracy kept
    with pytest.raises(ValueError, match="damaged, re-record it"):
        finding(record, claim)


def test_a_claim_without_a_figure_is_judged_on_its_direction():
    assert finding(*_record([(0.8, 0.7), (0.81, 0.7), (0.82, 0.7)], paper=None)).word == "confirmed"
    assert "with no figure" in finding(*_record([(0.8, 0.7), (0.7, 0.8), (0.8, 0.7)], paper=None)).line


def test_a_damaged_record_is_refused():
    record, _ = _record([(0.8, 0.7), (0.8, 0.7)])
    record["runs"][1]["chosen"] = False
    with pytest.raises(ValueError, match="expected each arm x seed once"):
        validate_runs(record)
    record, _ = _record([(0.8, 0.7)])
    record["runs"][0]["test_acc"] = 80.0
    with pytest.raises(ValueError, match="is not in"):
        validate_runs(record)


# ----------------------------------------------------------------------------- bad experiments fail before training


@pytest.mark.parametrize("change, match", [
    (dict(arms={"only": Arm()}), "at least two arms"),
    (dict(model="resnet"), "model='resnet'"),
    (dict(arms={"a": Arm({"pool_kernel": 40}), "b": Arm()}), "arm 'a'"),
    (dict(arms={"a": Arm(recipe={"momentun": 0.9}), "b": Arm()}), "arm 'a'"),
    (dict(claims=(Claim("x", "acting", "nobody", "test_acc"),)), "claim arm"),
    (dict(claims=(Claim("x", "acting", "acting", "test_acc"),)), "compares arm 'acting' with itself"),
    (dict(claims=(Claim("x", "acting", "constant", "ten_patch_acc"),)), "metric='ten_patch_acc'"),
    (dict(extra=lambda model, test: {}), "go together"),
])
def test_bad_experiments_are_refused_before_training(change, match):
    with pytest.raises(ValueError, match=match):
        run_experiment(replace(TINY, **change), "tiny", progress=False)


@pytest.mark.parametrize("change, match", [(dict(seeds=()), "distinct seeds"), (dict(seeds=(0, 0)), "distinct seeds"),
                                           (dict(lrs=()), "lrs is empty"), (dict(epochs=0), "epochs")])
def test_bad_scales_are_refused_before_training(change, match):
    with pytest.raises(ValueError, match=match):
        run_experiment(TINY, replace(TINY.scales["tiny"], **change), progress=False)
    with pytest.raises(ValueError, match="scale='huge'"):
        run_experiment(TINY, "huge")


# ----------------------------------------------------------------------------- what the experiments' arms are


def test_the_acting_lrn_arm_acts_and_the_papers_alpha_does_not():
    cpu = lrn.EXPERIMENT.scales["cpu"]
    x = torch.randn(64, 1, cpu.size, cpu.size)
    shares = {}
    for alpha in (lrn.ACTING_ALPHA, 1e-4):
        model = alexnet_fashion(input_size=cpu.size, lrn_alpha=alpha, **cpu.model)
        init_weights(model, cpu.recipe["init"], torch.Generator().manual_seed(0))
        shares[alpha] = lrn_activity(model, x)[0].mean_share  # conv1's LRN
    # It acts: about a sixth of conv1's divisor on average; the paper's alpha leaves it a constant division.
    assert 0.1 < shares[lrn.ACTING_ALPHA] < 0.3 and shares[1e-4] < 1e-4


@pytest.mark.parametrize("scale", ["cpu", "gpu"])
def test_the_two_poolings_give_the_same_maps_and_classifier(scale):
    sc = pooling.EXPERIMENT.scales[scale]
    a, b = (fashion_config(input_size=sc.size, **{**pooling.EXPERIMENT.base_model, **sc.model, **arm.model})
            for arm in pooling.EXPERIMENT.arms.values())
    assert a.feature_sizes == b.feature_sizes and a.pool_kernel == 3 and b.pool_kernel == 2
    assert count_parameters(AlexNet(a)) == count_parameters(AlexNet(b))


def test_saturating_init_and_unit_fractions():
    net = four_layer_net("tanh", 8)
    init_weights(net, "saturating", torch.Generator().manual_seed(0))
    first = net[0].weight
    assert first.std().item() == pytest.approx(SATURATING_GAIN / math.sqrt(25), rel=0.1)
    assert unit_fractions(net, torch.randn(64, 1, 28, 28))["saturated"] > 0.1
    relu = four_layer_net("relu", 8)
    assert unit_fractions(relu, -torch.ones(4, 1, 28, 28)) != {}  # runs on any batch
    silent = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 3), torch.nn.ReLU())
    with torch.no_grad():
        silent[1].weight.zero_()
        silent[1].bias.fill_(-1.0)  # every unit below zero for every input: all saturated, all dead
    assert unit_fractions(silent, torch.randn(5, 4)) == {"saturated": 1.0, "dead": 1.0}
    with pytest.raises(ValueError, match="no nn.ReLU"):
        unit_fractions(torch.nn.Linear(2, 2), torch.randn(1, 2))


def test_every_arm_of_every_experiment_builds_at_every_scale():
    for module in EXPERIMENTS:
        e = module.EXPERIMENT
        assert set(e.scales) == {"live", "cpu", "gpu"} and len(e.scales["cpu"].seeds) >= 3
        assert len(e.scales["gpu"].seeds) >= 3 and e.scales["gpu"].device == "cuda"
        for scale in e.scales.values():
            for label in e.arms:
                assert build_model(e, label, scale) is not None


def test_the_depth_arms_differ_by_conv4_alone():
    e, scale = depth.EXPERIMENT, depth.EXPERIMENT.scales["cpu"]
    whole, cut = (build_model(e, label, scale) for label in (depth.WHOLE, depth.WITHOUT))
    convs = [m for m in whole.modules() if isinstance(m, torch.nn.Conv2d)]
    conv4 = convs[3]
    assert (conv4.in_channels, conv4.out_channels, conv4.groups) == (96, 96, 2)  # the CPU scale's quarter widths
    assert count_parameters(whole) - count_parameters(cut) == 96 * 48 * 9 + 96  # its weights and biases, no more
    left = [m for m in cut.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [(m.in_channels, m.out_channels) for m in left] == [(c.in_channels, c.out_channels) for c in convs[:3]] + [
        (96, 64)]  # conv5 reads conv3's 96 maps, as it read conv4's
    x = torch.randn(2, 1, scale.size, scale.size)
    assert cut(x).shape == whole(x).shape == (2, 10) and not any(p.is_meta for p in cut.parameters())


# ----------------------------------------------------------------------------- the recorded runs


@pytest.mark.parametrize("module", EXPERIMENTS, ids=lambda m: m.NAME)
def test_recorded_runs_are_what_run_would_make_again(module):
    record = validate_runs(load(module.NAME))
    e, st = module.EXPERIMENT, record["settings"]

    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")

    json.loads((ROOT / "data" / "runs" / f"{module.NAME}.json").read_text(), parse_constant=refuse)  # strict JSON
    assert st["scale"] == json.loads(json.dumps(asdict(e.scales["cpu"])))
    assert list(st["arms"]) == list(e.arms) and st["model"] == e.model and st["base_model"] == e.base_model
    for key in ("device_name", "torch", "date", "seconds", "threads"):
        assert key in record["provenance"]
    for f in findings(record):
        assert f.word in ("confirmed", "contradicted", "inconclusive") and f.word in f.line
        if f.interval is not None:
            assert f.interval.n == len(st["scale"]["seeds"]) >= 3
        if f.claim.kind == "difference" and f.interval is not None:  # an accuracy's interval holds the sample's error
            assert f.interval.sample_se > 0 and "over seeds and the test sample" in f.line


@pytest.mark.parametrize("module", EXPERIMENTS, ids=lambda m: m.NAME)
def test_no_verdict_comes_from_an_arm_that_did_not_train(module):
    """A claim whose arm did not train (below 85% on validation or its loss still falling; for a speed claim, short of
    the paper's level) gets no verdict, only "inconclusive" and why: every confirmed or contradicted comes from arms
    that trained."""
    record = load(module.NAME)
    runs = chosen_runs(record)
    seeds = record["settings"]["scale"]["seeds"]

    def trained(label):
        mine = [runs[(label, s)] for s in seeds]
        if isinstance(module.EXPERIMENT.select, Target):  # a speed claim: every run reached the paper's level
            return all(steps_to(r, module.EXPERIMENT.select) is not None for r in mine)
        # At least 85% on validation, and the training loss levelled off: on average over the seeds, under 5% of its
        # fall came in the last fifth of the steps (a constant rate leaves single curves noisy).
        falls = [last_fifth_fall(r) for r in mine]
        return sum(r["val_acc"] for r in mine) / len(mine) >= runner.TRAINED and sum(falls) / len(falls) < 0.05

    for f in findings(record):
        if not (trained(f.claim.a) and trained(f.claim.b)):
            assert f.word == "inconclusive" and ("never reached" in f.line or "no verdict" in f.line), f.line
        elif f.interval is None:  # trained arms, but a level the claim counts steps to was never reached
            assert isinstance(f.claim.metric, Target) and f.word == "inconclusive" and "never reached" in f.line


def test_per_seed_effects_are_printed_in_the_verdicts_units():
    record, claim = _record([(0.80, 0.78), (0.75, 0.76)])
    assert finding(record, claim).per_seed == "+2.00, -1.00 points"
    level = Target("train_error", 0.2)
    record, claim = _record([([0.5, 0.2], [0.1])] * 2, level, "ratio", 6.0, curves=True)
    assert finding(record, claim).per_seed == "2.00x, 2.00x"
    record, claim = _record([([0.1], [0.5])] * 2, level, "ratio", 6.0, curves=True)
    assert finding(record, claim).per_seed.startswith("none")


def test_curve_table_reads_the_first_and_last_points(tiny):
    record, _ = tiny
    table = curve_table(record, ("train_loss",))
    runs = chosen_runs(record)
    first = (runs[("acting", 0)]["curve"][0]["train_loss"] + runs[("acting", 1)]["curve"][0]["train_loss"]) / 2
    assert table.rows[0][:2] == ("acting", f"{first:.3f}") and table.headers[1] == "train loss at step 2"  # nats
    with pytest.raises(ValueError, match="no 'dead'"):
        curve_table(record, ("dead",))


def test_a_choice_or_claim_that_cannot_be_read_is_refused():
    with pytest.raises(ValueError, match="select='test_acc' must be 'val_acc' or a Target"):
        run_experiment(replace(TINY, select="test_acc"), "tiny", progress=False)
    with pytest.raises(ValueError, match="metric='test_accuracy'"):
        run_experiment(replace(TINY, claims=(Claim("x", "acting", "constant", "test_accuracy"),)), "tiny",
                       progress=False)
    record, _ = _record([(0.8, 0.7)])
    with pytest.raises(ValueError, match="claim arm='c'"):
        finding(record, Claim("x", "a", "c", "test_acc"))


def test_select_rate_tries_every_rate_and_keeps_the_best_on_validation():
    from alexnet_lib.experiments.runner import select_rate

    val = {0.1: 0.5, 0.03: 0.8, 0.01: 0.8, 0.003: 0.2}
    seen_best = []

    def train_at(lr, best):
        seen_best.append(None if best is None else best["lr"])
        return {"lr": lr, "val_acc": val[lr], "test_acc": 1.0 - val[lr]}  # the test set must play no part

    best, tried = select_rate(list(val), train_at, lambda one, best: one["val_acc"] > best["val_acc"])
    assert best["lr"] == 0.03  # the first of two equal scores stays
    assert [r["lr"] for r in tried] == list(val) and seen_best == [None, 0.1, 0.03, 0.03]
