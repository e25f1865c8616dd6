"""Ensembles of small AlexNets (alexnet_lib.experiments.ensembles): averaging, the live run end to end, the committed
record recomputed from what it stores, and the chapter's explorer on it."""

import itertools
import json
import math

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
import torch  # noqa: E402

from alexnet_lib.engine.metrics import average_probabilities, top_k_accuracy  # noqa: E402
from alexnet_lib.experiments import ensembles as E  # noqa: E402
from alexnet_lib.experiments import stats  # noqa: E402
from alexnet_lib.net.model import alexnet_fashion  # noqa: E402
from alexnet_lib.toolkits.paper_results import ensemble_gain  # noqa: E402
from tests.chapters import ROOT, without_checksum  # noqa: E402


@pytest.fixture(scope="module")
def record():
    return E.load_ensembles()


def ranks_by_hand(probs, labels, k):
    """Top-k credit per image, written out: strictly higher classes first, ties sharing their places."""
    true = probs[torch.arange(len(labels)), labels][:, None]
    higher = (probs > true).sum(1).double()
    tied = (probs == true).sum(1).double() - 1
    return float(((k - higher).clamp(0, None).minimum(tied + 1) / (tied + 1)).mean())


# ----------------------------------------------------------------------------- averaging


def test_an_ensemble_of_copies_of_one_model_gives_that_models_predictions():
    torch.manual_seed(0)
    model = alexnet_fashion(input_size=71, lrn=False, pool_ceil_mode=True).eval()
    x = torch.randn(6, 1, 71, 71)
    labels = torch.tensor([0, 1, 2, 3, 4, 5])
    with torch.no_grad():
        logits = model(x)
    alone = logits.softmax(1)
    for k in (2, 3, 5):
        copies = average_probabilities(torch.stack([logits] * k))
        assert torch.allclose(copies, alone, atol=1e-6)
        assert torch.allclose(E.mean_probabilities([alone] * k), alone, atol=1e-7)
        assert torch.equal(copies.argmax(1), alone.argmax(1))  # the same predicted class for every image
        assert all(top_k_accuracy(copies, labels, j) == top_k_accuracy(alone, labels, j) for j in range(1, 11))


def test_softmax_outputs_are_the_models_probabilities_in_eval_mode():
    from alexnet_lib.data.loader import DeviceLoader

    torch.manual_seed(1)
    model = alexnet_fashion(input_size=71, lrn=False, pool_ceil_mode=True)  # training mode: dropout would act
    images = torch.randint(0, 256, (10, 28, 28), dtype=torch.uint8)
    loader = DeviceLoader(images, torch.arange(10) % 10, batch_size=4, size=71)
    probs = E.softmax_outputs(model, loader)
    assert probs.shape == (10, 10) and torch.allclose(probs.sum(1), torch.ones(10))
    assert torch.equal(probs, E.softmax_outputs(model, loader)) and model.training  # eval inside, mode restored


def test_top_k_and_ensembles_of_a_small_example_by_hand():
    # Two members, three images, three classes, labels 0, 1, 2; binary fractions, so sums are exact.
    a = torch.tensor([[0.625, 0.25, 0.125], [0.5, 0.375, 0.125], [0.25, 0.25, 0.5]])
    b = torch.tensor([[0.125, 0.75, 0.125], [0.125, 0.75, 0.125], [0.5, 0.25, 0.25]])
    labels = torch.tensor([0, 1, 2])
    # a: right, second, right. b: second with a tie for places 2-3 (half a place in the top 2), right, the same.
    assert E.top_ks(a, labels) == pytest.approx([2 / 3, 1.0, 1.0])
    assert E.top_ks(b, labels) == pytest.approx([1 / 3, (0.5 + 1 + 0.5) / 3, 1.0])
    mean = E.mean_probabilities([a, b])
    assert torch.equal(mean, torch.tensor([[0.375, 0.5, 0.125], [0.3125, 0.5625, 0.125], [0.375, 0.25, 0.375]]))
    # The mean: second, right, tied for first with class 0 (half a place in the top 1).
    assert E.top_ks(mean, labels) == pytest.approx([(0 + 1 + 0.5) / 3, 1.0, 1.0])
    sizes = E.by_size([a, b], labels)
    assert [row["size"] for row in sizes] == [1, 2] and [row["subsets"] for row in sizes] == [2, 1]
    assert sizes[0]["top_k"] == pytest.approx([(2 / 3 + 1 / 3) / 2, (1 + 2 / 3) / 2, 1.0])  # the members' mean
    assert sizes[1]["top_k"] == pytest.approx(E.top_ks(mean, labels))


def test_probabilities_survive_their_compact_storage():
    probs = torch.rand(50, 10, generator=torch.Generator().manual_seed(2)).softmax(1)
    text = E.encode_probabilities(probs)
    back = E.decode_probabilities(text, 50, 10)
    assert back.dtype == torch.float32 and torch.allclose(back, probs, atol=1e-3, rtol=1e-3)  # float16
    assert torch.equal(back, probs.half().float())
    with pytest.raises(ValueError, match="hold 500 values, expected 40 x 10"):
        E.decode_probabilities(text, 40, 10)
    with pytest.raises(ValueError, match="not base64 of zlib-compressed float16"):
        E.decode_probabilities("not base64!", 50, 10)


# ----------------------------------------------------------------------------- a run, end to end


@pytest.mark.slow
def test_a_live_run_through_the_command_line_beats_chance(tmp_path, capsys):
    from alexnet_lib.__main__ import main

    out = tmp_path / "ensembles_live.json"
    assert main(["record", "ensembles", "--scale", "live", "--out", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    live = E.load_ensembles(out)
    scale = E.SCALES["live"]
    assert live["settings"]["scale"]["name"] == "live" and live["settings"]["members"] == scale.members
    assert len(live["test_labels"]) == scale.scale.test_images
    chance = 1 / len(live["settings"]["classes"])
    for run in E.members(live):
        assert run["test_top_k"][0] > 2 * chance, run["test_top_k"]  # chance is 10%
    full = E.ensemble_accuracy(live, 0, scale.members, 1)
    assert full > 2 * chance
    assert E.ensemble_accuracy(live, 0, 1, 1) == pytest.approx(sum(r["test_top_k"][0] for r in E.members(live)) /
                                                               scale.members)
    # One group gives no interval: the verdict cannot be anything but inconclusive.
    assert E.finding(live).word == "inconclusive" and "no interval from one seed" in E.finding(live).line


def test_the_gpu_scale_is_refused_where_there_is_no_gpu():
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(ValueError, match=r"the gpu scale runs on 'cuda'.*record at the cpu scale"):
        E.run("gpu", progress=False)


def test_unknown_scales_are_refused():
    with pytest.raises(ValueError, match="scale='tiny' is not valid"):
        E.run("tiny")
    with pytest.raises(ValueError, match="must be one of live, cpu, gpu or an EnsembleScale"):
        E.run(3)


def test_scales_pair_groups_and_give_every_member_its_own_seed():
    for scale in E.SCALES.values():
        seeds = [scale.seed(g, m) for g in scale.groups for m in range(scale.members)]
        assert len(set(seeds)) == len(seeds)
    assert E.SCALES["cpu"].scale.device == "cpu" and len(E.SCALES["cpu"].groups) >= 3
    assert E.SCALES["gpu"].scale.device == "cuda" and E.SCALES["gpu"].members == 5 and len(E.SCALES["gpu"].groups) >= 3


# ----------------------------------------------------------------------------- the committed record


def test_the_committed_record_validates_and_has_its_provenance(record):
    assert record == without_checksum(ROOT / "data" / "runs" / "ensembles.json")
    st, prov = record["settings"], record["provenance"]
    assert st["scale"]["name"] == "cpu" and st["scale"]["seeds"] == list(E.SCALES["cpu"].groups)
    assert st["members"] == E.SCALES["cpu"].members and st["precision"] == "fp32"
    assert prov["device"] == "cpu" and prov["date"] and 0 < prov["seconds"] <= 1800  # the cpu scale's 30 minutes
    assert st["claim"]["paper"] == pytest.approx(ensemble_gain()) == pytest.approx(0.026)


def test_the_record_was_chosen_on_validation(record):
    first = [r for r in record["runs"] if r["group"] == record["settings"]["scale"]["seeds"][0] and r["member"] == 0]
    assert sorted(r["lr"] for r in first) == sorted(record["settings"]["scale"]["lrs"])
    best = max(first, key=lambda r: r["val_acc"])
    assert best["chosen"] and best["lr"] == record["settings"]["chosen_lr"]
    assert {r["lr"] for r in E.members(record)} == {record["settings"]["chosen_lr"]}


def test_the_records_numbers_are_what_its_stored_probabilities_give(record):
    labels = E.record_labels(record)
    probs = E.member_probabilities(record)
    members = record["settings"]["members"]
    for run in E.members(record):
        mine = probs[run["group"]][run["member"]]
        assert run["test_top_k"] == pytest.approx([ranks_by_hand(mine, labels, k) for k in range(1, 11)], abs=1e-12)
    for entry in record["ensembles"]:
        group = probs[entry["group"]]
        for row in entry["sizes"]:
            subsets = list(itertools.combinations(group, row["size"]))
            assert row["subsets"] == len(subsets) == math.comb(members, row["size"])
            for k in (1, 2, 5):
                by_hand = sum(ranks_by_hand(sum(s) / len(s), labels, k) for s in subsets) / len(subsets)
                assert row["top_k"][k - 1] == pytest.approx(by_hand, abs=1e-6)
    # The verdict, recomputed from the groups with the statistics module.
    gains = []
    for g in record["settings"]["scale"]["seeds"]:
        full = ranks_by_hand(sum(probs[g]) / members, labels, 1)
        alone = sum(ranks_by_hand(p, labels, 1) for p in probs[g]) / members
        gains.append(full - alone)
    found = E.finding(record)
    assert found.gains == pytest.approx(gains, abs=1e-6)
    # The interval over groups, widened by the test sample's error of the mean gain, image by image.
    hits = {g: (sum(probs[g]) / members).argmax(1).eq(labels).double() for g in probs}
    alone = {g: torch.stack([p.argmax(1).eq(labels).double() for p in probs[g]]).mean(0) for g in probs}
    d = torch.stack([hits[g] - alone[g] for g in probs]).mean(0)
    se = float(d.std() / math.sqrt(len(d)))
    interval = stats.with_sample_error(stats.t_interval(gains), se)
    # (by hand with argmax; the library credits tied classes a share, which float16 probabilities rarely need)
    assert found.interval.low == pytest.approx(interval.low, rel=1e-4)
    assert found.interval.high == pytest.approx(interval.high, rel=1e-4)
    assert found.interval.sample_se == pytest.approx(se, rel=1e-3) and "over seeds and the test sample" in found.line
    assert found.word == stats.verdict(interval, 0.026) and found.word in found.line


def test_the_records_labels_are_the_test_images_drawn_again(record):
    images = E.record_images(record)
    assert images.shape == (len(record["test_labels"]), 28, 28) and images.dtype == torch.uint8


@pytest.mark.parametrize("damage, match", [
    (lambda r: r.pop("ensembles"), "lacks 'ensembles'"),
    (lambda r: r["runs"].remove(next(x for x in r["runs"] if x["chosen"] and x["member"] == 1)),
     "expected every group x member once"),
    (lambda r: r.update(test_labels="01x"), "test_labels must be a string of class digits"),
    (lambda r: r.update(experiment="lrn"), "records experiment 'lrn', not 'ensembles'"),
    (lambda r: r["settings"].pop("claim"), "settings lack 'claim'"),
])
def test_a_damaged_record_is_refused(record, damage, match):
    broken = json.loads(json.dumps(record))
    damage(broken)
    with pytest.raises(ValueError, match=match):
        E.validate_record(broken)


def test_tables_read_the_record(record):
    table = E.groups_table(record)
    assert table.headers == ("top-1 accuracy", "group 0", "group 1", "group 2")
    members = record["settings"]["members"]
    assert [row[0] for row in table.rows] == ([f"member {m}" for m in range(1, members + 1)] + ["members' mean"]
                                              + [f"ensemble of {m}" for m in range(2, members + 1)] + ["gain (points)"])
    assert table.rows[-1][1:] == tuple(f"{100 * g:+.2f}" for g in E.gains(record))
    top = E.top_k_table(record)
    assert [row[0] for row in top.rows] == ["top-1", "top-2", "top-5"] and top.rows[2][1] == "50%"
    with pytest.raises(ValueError, match="k=11"):
        E.top_k_table(record, ks=(11,))
    assert "chosen" in str(E.selection_table(record))
    assert len(E.test_sample_errors(record)) == 3 and all(0 < e < 0.02 for e in E.test_sample_errors(record))


# ----------------------------------------------------------------------------- the explorer


