"""Looking inside a model: predictions and features, confusion, mistakes, neighbours, the recorded analysis."""

import pytest
import torch

from alexnet_lib import analysis as A
from alexnet_lib.data import load_fashion_mnist
from alexnet_lib.model import alexnet_d2l


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return alexnet_d2l()


def test_predict_gives_classes_and_hidden_features(model):
    images = load_fashion_mnist().test_images[:5]
    preds, feats = A.predict(model, images, batch_size=4)
    assert preds.shape == (5,) and preds.dtype == torch.long and feats.shape == (5, 4096)
    preds32, feats32 = A.predict(model, images, batch_size=4, fast=False)
    with torch.no_grad():  # the classes are the last layer applied to the returned features
        assert preds32.tolist() == model.classifier[-1](feats32).argmax(1).tolist()
    with pytest.raises(ValueError, match="uint8 of shape"):
        A.predict(model, images.float())
    with pytest.raises(ValueError, match="AlexNet-style"):
        A.predict(torch.nn.Linear(3, 3), images)


def test_confusion_and_most_confused():
    labels = torch.tensor([0, 0, 1, 1, 1, 2])
    preds = torch.tensor([0, 1, 1, 0, 0, 2])
    c = A.confusion_matrix(labels, preds, num_classes=3)
    assert c.tolist() == [[1, 1, 0], [2, 1, 0], [0, 0, 1]]
    assert A.most_confused_pairs(c, 2) == [(1, 0, 2), (0, 1, 1)]
    with pytest.raises(ValueError, match="same shape"):
        A.confusion_matrix(labels, preds[:3])


def test_nearest_neighbours_matches_brute_force():
    g = torch.Generator().manual_seed(0)
    q, pool = torch.randn(4, 8, generator=g), torch.randn(50, 8, generator=g)
    got = A.nearest_neighbours(q, pool, k=3)
    for i in range(4):
        d = ((pool - q[i]) ** 2).sum(1)
        assert got[i].tolist() == d.argsort()[:3].tolist()
    assert A.nearest_neighbours(pool[:2], pool, k=1).flatten().tolist() == [0, 1]  # itself first
    with pytest.raises(ValueError, match="k=0"):
        A.nearest_neighbours(q, pool, k=0)


def test_analyse_roundtrip(model, tmp_path):
    record = A.analyse(model, {"config": {"profile": "test"}}, pool_size=16, queries=2, neighbours=3,
                       mistakes=4, test_images=48)
    path = A.save_analysis(record, tmp_path / "a.json")
    loaded = A.load_analysis(__import__("json").loads(path.read_text()))
    assert loaded["confusion"].sum() == 48 and loaded["conv1"].shape == (96, 1, 11, 11)
    assert len(loaded["neighbours"]["indices"]) == 2 and all(0 <= i < 16 for i in loaded["neighbours"]["indices"][0])
    assert all(m["true"] != m["predicted"] for m in loaded["mistakes"])
    with pytest.raises(ValueError, match="not an analysis record"):
        A.load_analysis({"schema": "other"})


def test_recorded_analysis_matches_its_training_run():
    rec = A.load_analysis("cpu_fast_analysis")
    assert rec["confusion"].sum() == 10_000 and rec["conv1"].shape == (96, 1, 11, 11)
    assert rec["history"]["config"]["profile"] == "cpu"
    assert abs(rec["test_accuracy"] - float(rec["confusion"].diag().sum()) / 10_000) < 1e-9


def test_cli_analyse_names_a_missing_run(tmp_path, capsys):
    from alexnet_lib.__main__ import main

    assert main(["analyse", str(tmp_path / "nowhere"), "--out", str(tmp_path / "a.json")]) == 2
    assert "history.json" in capsys.readouterr().err and not (tmp_path / "a.json").exists()
