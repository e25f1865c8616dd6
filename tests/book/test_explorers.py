"""The explorers' Python side, no browser needed: what each page must show for a setting (`reference`), from the
library, at settings whose answers are known; arguments refused by name; every corner of the controls answered
with values or an error, never a traceback; and the HTML each one outputs. tests/book/test_live.py checks the
browser's answers against these."""

import itertools
import math
import subprocess
import sys

import pytest
import torch

from alexnet_lib.book.architecture import SPLITS, TowersExplorer
from alexnet_lib.book.budget import BudgetExplorer, expected_accuracy, mean_accuracies
from alexnet_lib.book.explorers import (
    LRN_DEMO_PROFILE,
    ActivationExplorer,
    DropoutExplorer,
    LRNExplorer,
    OutputSizeExplorer,
    PoolingExplorer,
    dropout_grid,
    gradient_profiles,
)
from alexnet_lib.book.history import LeNetAlexNetExplorer
from alexnet_lib.book.live import Control
from alexnet_lib.data.augment import crop_batch, five_patch_corners
from alexnet_lib.engine.records import load_record
from alexnet_lib.toolkits.architecture import cross_gpu_crossings, gpu_traffic
from alexnet_lib.toolkits.lrn import lrn_profile
from tests.book.live_cases import BUILDERS

BUDGETS = [f"cpu_minutes{m}_bf16{s}" for m in (5, 10, 30) for s in ("", "_seed1")]


def test_importing_the_building_block_explorers_loads_no_engine():
    code = "import sys, alexnet_lib.book.explorers; print(' '.join(sorted(sys.modules)))"
    loaded = set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                timeout=120).stdout.split())
    assert "alexnet_lib.toolkits.lrn" in loaded and "alexnet_lib.book.live" in loaded
    assert not {"alexnet_lib.engine", "alexnet_lib.experiments", "alexnet_lib.data", "ipywidgets"} & loaded


@pytest.mark.parametrize("make, argument, bad", [
    (OutputSizeExplorer, "size", 0), (OutputSizeExplorer, "size", 257), (OutputSizeExplorer, "kernel", 0),
    (OutputSizeExplorer, "stride", 0), (OutputSizeExplorer, "padding", -1), (OutputSizeExplorer, "pool_stride", 2.5),
    (OutputSizeExplorer, "use_pool", "yes"), (ActivationExplorer, "activation", "gelu"),
    (ActivationExplorer, "depth", 1), (ActivationExplorer, "weight_scale", 0.0),
    (ActivationExplorer, "weight_scale", float("nan")), (ActivationExplorer, "weight_scale", 1.415),
    (DropoutExplorer, "p", 1.0), (DropoutExplorer, "p", -0.1), (DropoutExplorer, "p", 0.33),
    (DropoutExplorer, "seed", -1), (DropoutExplorer, "inverted", None), (DropoutExplorer, "training", 0),
    (LRNExplorer, "k", -1.0), (LRNExplorer, "k", 0.0), (LRNExplorer, "n", 0), (LRNExplorer, "n", 4),
    (LRNExplorer, "alpha", 0.0), (LRNExplorer, "alpha", 2.0), (LRNExplorer, "beta", 3.0), (LRNExplorer, "scale", 1e3),
    (PoolingExplorer, "size", 0), (PoolingExplorer, "size", 41), (PoolingExplorer, "window", 0),
    (PoolingExplorer, "stride", 9), (LeNetAlexNetExplorer, "lenet_size", 15), (LeNetAlexNetExplorer, "c1_padding", -1),
    (LeNetAlexNetExplorer, "alexnet_size", 321), (LeNetAlexNetExplorer, "quantity", "flops"),
    (TowersExplorer, "input_size", 10), (TowersExplorer, "split", "three GPUs"), (TowersExplorer, "batch", 0),
])
def test_bad_arguments_are_refused_by_name(make, argument, bad):
    with pytest.raises(ValueError, match=f"^{argument}="):
        make(**{argument: bad})


def test_a_start_the_page_would_show_as_an_error_is_refused():
    with pytest.raises(ValueError, match="cannot start at .*kernel=11 is larger than the padded input"):
        OutputSizeExplorer(size=5)
    with pytest.raises(ValueError, match="LRNExplorer has no control named draw"):
        LRNExplorer.__mro__[1].__init__(LRNExplorer.__new__(LRNExplorer), draw=False)


def test_a_slider_value_must_be_one_of_its_steps():
    log = Control("alpha", "α", "log", -6, 0, 0.25)
    assert log.check(1e-4) == 1e-4 and log.settings()[0] == 1e-6 and len(log.settings()) == 25
    with pytest.raises(ValueError, match="not one of the slider's values: from -6 in steps of 0.25 "
                                         r"\(of the base-10 exponent\)"):
        log.check(2e-4)
    odd = Control("n", "n", "int", 1, 15, 2)
    assert odd.settings() == [1, 3, 5, 7, 9, 11, 13, 15]
    assert Control("p", "p", "float", 0.0, 0.9, 0.05).settings()[3] == 0.15  # no 0.15000000000000002


@pytest.mark.parametrize("kind", ["output_size", "pooling", "lrn", "dropout", "layers", "towers"])
def test_every_corner_of_the_controls_gives_values_or_an_error(kind):
    explorer = BUILDERS[kind]()
    ends = [(c.settings()[0], c.settings()[-1]) if c.kind not in ("choice", "bool") else c.settings()
            for c in explorer.controls]
    for corner in itertools.product(*ends):
        settings = dict(zip((c.name for c in explorer.controls), corner))
        answer = explorer.reference(settings)
        assert answer and (set(answer) == {"error"}) == ("error" in answer), (settings, answer)
        if "error" in answer:
            assert isinstance(answer["error"], str) and answer["error"]


def test_output_size_reference():
    ex = OutputSizeExplorer()
    assert ex.reference(ex.settings) == {"conv": 55, "remainder": 0, "dropped": 0, "exact": True, "pooled": 27,
                                         "output": 27}
    at_224 = ex.reference(dict(ex.settings, size=224))
    assert at_224["conv"] == 54 and at_224["remainder"] == 1 and at_224["dropped"] == 1
    assert "pooling" in ex.reference(dict(ex.settings, size=15, pool_kernel=5, stride=4))["error"]


def test_pooling_reference():
    ex = PoolingExplorer()
    assert ex.reference(ex.settings)["outputs"] == 6 and ex.reference(ex.settings)["overlap"] == 1
    two = ex.reference(dict(ex.settings, window=2))
    assert two["outputs"] == 6 and two["never"] == 1 and two["coverage"][-1] == 0
    for W, z, s in [(27, 3, 2), (8, 5, 1), (40, 8, 8), (32, 2, 2), (13, 2, 2), (2, 3, 2)]:
        for ceil in (False, True):
            got = ex.reference({"size": W, "window": z, "stride": s, "ceil_mode": ceil})
            if W < z and not ceil:
                assert "larger than" in got["error"]  # PyTorch refuses it too
                continue
            want = torch.nn.functional.max_pool1d(torch.zeros(1, 1, W), z, s, ceil_mode=ceil).shape[-1]
            assert got["outputs"] == want
    # 13 inputs, 2/2 windows: floor mode leaves the last input unread, ceil mode keeps a half window for it.
    floor, ceil = (ex.reference({"size": 13, "window": 2, "stride": 2, "ceil_mode": c}) for c in (False, True))
    assert (floor["outputs"], floor["never"], ceil["outputs"], ceil["never"]) == (6, 1, 7, 0)


def test_lrn_reference():
    ex = LRNExplorer()
    paper = ex.reference(ex.settings)
    assert paper["strongest"] == 10
    assert torch.allclose(torch.tensor(paper["after"], dtype=torch.float64), lrn_profile(LRN_DEMO_PROFILE))
    tiny = ex.reference(dict(ex.settings, scale=0.01))  # tiny activations: only k matters
    assert tiny["divisor"] == pytest.approx([2 ** 0.75] * 16, rel=1e-3)


def test_activation_reference_is_the_librarys_gradient_norms():
    profiles = gradient_profiles(depth=6, weight_scale=1.41, width=8, batch=4)
    assert set(profiles) == {"relu", "tanh", "sigmoid"} and all(len(p) == 6 for p in profiles.values())
    ex = ActivationExplorer()
    deep = ex.reference({"activation": "sigmoid", "depth": 50, "weight_scale": 0.5})
    assert all(math.isfinite(v) for v in deep["profiles"]["sigmoid"]) and deep["ratio"] > 1e20  # float64: no overflow
    he = ex.reference({"activation": "relu", "depth": 20, "weight_scale": 1.41})
    assert 0.1 < he["ratio"] < 10  # He's scale keeps ReLU's gradient within a factor of ten over 20 layers


def test_dropout_reference():
    trained = dropout_grid(0.5, seed=3, inverted=True, training=True)
    assert 90 < trained["kept"] < 166  # about half of 256
    assert trained["mean_over_masks"] == pytest.approx(trained["mean_before"], rel=0.02)  # inverted keeps the mean
    plain = dropout_grid(0.5, seed=3, inverted=False, training=False)
    assert plain["mean_after"] == pytest.approx(plain["mean_before"] / 2) and plain["kept"] == 256
    assert dropout_grid(0.0, seed=0, inverted=True, training=True)["kept"] == 256


def test_layers_reference_reads_the_real_networks():
    ex = LeNetAlexNetExplorer()
    default = ex.reference(ex.settings)
    assert default["lenet_params"] == 61_706 and default["alexnet_params"] == 60_965_224
    assert default["alexnet"][5][1] == [4096] and default["lenet"][2][1] == [120, 1, 1]
    assert ex.reference(dict(ex.settings, lenet_size=28))["error"].startswith("C5 gets a 4x4 map")
    assert "error" not in ex.reference(dict(ex.settings, lenet_size=28, c1_padding=2))
    assert "too small" in ex.reference(dict(ex.settings, alexnet_size=48))["error"]
    assert ex.reference(dict(ex.settings, alexnet_size=67))["alexnet"][5][2] == 256 * 4096 + 4096  # pool3 is 1×1


def test_towers_reference_and_the_traffic_rule():
    ex = TowersExplorer()
    paper = ex.reference(ex.settings)
    assert paper["params"] == 60_965_224 and paper["crossing"] == 60_672
    assert [row[3] for row in paper["layers"]] == [0, 0, 43_264, 0, 0, 9_216, 4_096, 4_096]
    assert sum(x.values for x in cross_gpu_crossings()) == paper["crossing"]  # the architecture page's table
    one = ex.reference(dict(ex.settings, split=SPLITS[0]))
    ungrouped = ex.reference(dict(ex.settings, split=SPLITS[2]))
    assert one["crossing"] == 0 and one["params"] == ungrouped["params"] > paper["params"]
    assert ungrouped["crossing"] > paper["crossing"] and ungrouped["layers"][1][3] > 0  # conv2 now crosses
    from alexnet_lib.net.model import AlexNetConfig
    with pytest.raises(ValueError, match="gpus=3"):
        gpu_traffic(AlexNetConfig(), 3)


def test_budget_reference_replans_the_recorded_runs_exactly():
    runs = [load_record(name) for name in BUDGETS]
    ex = BudgetExplorer(runs)
    for record in runs:
        budget = record["config"]["budget"]
        label = f"{budget['minutes']:g} min, seed {record['config']['seed']}"
        plan = ex.reference({"minutes": float(budget["minutes"]), "run": label})
        # The planner in the page plans what `train` planned before the run: the same steps and images.
        assert plan["steps"] == budget["steps"] and plan["images"] == budget["images"], label
    assert "too little time" in ex.reference({"minutes": 1.0, "run": "30 min, seed 0"}).get("error", "too little time")


def test_expected_accuracy_stays_between_the_recorded_budgets():
    means = [(5.0, 0.8), (10.0, 0.9), (30.0, 0.92)]
    assert expected_accuracy(5, means) == 0.8 and expected_accuracy(30, means) == 0.92
    assert expected_accuracy(math.sqrt(50), means) == pytest.approx(0.85)  # halfway in log(minutes)
    assert expected_accuracy(4.5, means) is None and expected_accuracy(31, means) is None
    runs = BudgetExplorer([load_record(name) for name in BUDGETS]).runs
    assert [m for m, _ in mean_accuracies(runs)] == [5.0, 10.0, 30.0]


def test_patch_reference_cuts_what_the_loader_cuts():
    ex = BUILDERS["patch"]()
    one = ex.reference(dict(ex.settings, top=3, left=30, flip=True))["patches"]
    assert len(one) == 1 and one[0]["top"] == 3 and one[0]["flip"] is True
    from alexnet_lib.book.augmentation import resized_image
    image = resized_image(0)[None]
    patch = crop_batch(image, 224, torch.tensor([3]), torch.tensor([30]), torch.tensor([True]))[0]
    assert one[0]["sum"] == pytest.approx(float(patch.double().sum()))
    ten = ex.reference(dict(ex.settings, mode="ten test patches"))["patches"]
    assert [(p["top"], p["left"]) for p in ten[:5]] == five_patch_corners() and all(p["flip"] for p in ten[5:])


def test_ensemble_reference_reads_the_record():
    from alexnet_lib.book.results import first_rescue
    from alexnet_lib.experiments import ensembles as E
    ex = BUILDERS["ensemble"]()
    record = ex.record
    shown = ex.reference(ex.settings)
    assert ex.settings["position"] == first_rescue(record, 0) and shown["verdict"] == shown["label"]
    assert shown["accuracy"] == E.ensemble_accuracy(record, 0, record["settings"]["members"], 1)
    two = ex.reference(dict(ex.settings, group=2, size=2, k=5))
    assert two["accuracy"] == E.ensemble_accuracy(record, 2, 2, 5)


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_the_html_carries_the_explorer_and_its_code(kind):
    explorer = BUILDERS[kind]()
    html = explorer._repr_html_()
    assert html.startswith("<style>") and 'class="alexnet-explorer"' in html and "<noscript>" in html
    assert html.count("<script>") == 1 and "AlexNetExplorers.mount(" in html and f'A.register("{explorer.kind}"' in html
    assert "open it in a browser" in repr(explorer)


def test_the_committed_chapters_carry_the_current_explorer_code():
    """Each chapter's output holds a copy of the explorer's code: after changing alexnet_lib/book/live/, the chapters
    must be executed again (python -m alexnet_lib execute chapters/*.ipynb), or the book shows the old code."""
    import json

    from alexnet_lib.book.live import script, style
    from tests.chapters import ROOT

    stale, shown = [], set()
    for path in sorted((ROOT / "chapters").glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            for output in cell.get("outputs", []):
                html = "".join(output.get("data", {}).get("text/html", ""))
                if 'class="alexnet-explorer"' not in html:
                    continue
                kind = html.split('data-kind="', 1)[1].split('"', 1)[0]
                shown.add(kind)
                if script("runtime") not in html or script(kind) not in html or style() not in html:
                    stale.append(f"{path.name}: {kind}")
    assert not stale, f"re-execute these chapters, their explorer code is older than the library's: {stale}"
    assert shown == set(BUILDERS), f"chapters show {sorted(shown)}; tests/book/live_cases.py knows {sorted(BUILDERS)}"


def test_a_control_that_could_not_be_drawn_is_refused():
    with pytest.raises(ValueError, match="kind='knob'"):
        Control("x", "x", "knob")
    with pytest.raises(ValueError, match="low < high and a positive step"):
        Control("x", "x", "int", 5, 1)
    with pytest.raises(ValueError, match="a choice needs options"):
        Control("x", "x", "choice")


def test_the_budget_planner_refuses_what_it_cannot_plan_from():
    with pytest.raises(ValueError, match="histories is empty"):
        BudgetExplorer([])
    odd = load_record(BUDGETS[0])
    odd["config"] = dict(odd["config"], profile="laptop")
    with pytest.raises(ValueError, match="profile 'laptop'"):
        BudgetExplorer([odd])
    with pytest.raises(ValueError, match="^run="):
        BudgetExplorer([load_record(BUDGETS[0])], run="99 min, seed 0")
