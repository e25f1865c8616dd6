"""Looking inside a model: predictions and features, neighbours, checkpoints, and the recorded analysis."""

import os

import pytest
import torch

from alexnet_lib.data.fashion_mnist import find_fashion_mnist, load_fashion_mnist
from alexnet_lib.data.loader import DeviceLoader
from alexnet_lib.engine.records import load_record, save_checkpoint
from alexnet_lib.net.model import alexnet_d2l
from alexnet_lib.toolkits import analysis as A


@pytest.fixture(scope="module")
def real():
    if find_fashion_mnist() is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set but Fashion-MNIST was not found (sudo apt install dataset-fashion-mnist)")
        pytest.skip("Fashion-MNIST not found here")
    return load_fashion_mnist(download=False)


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return alexnet_d2l()


def test_predict_gives_the_models_own_classes_and_hidden_features(model, real):
    images = real.test_images[:5]
    preds, feats = A.predict(model, images, batch_size=4, precision="fp32")
    assert preds.shape == (5,) and preds.dtype == torch.long and feats.shape == (5, 4096)
    x, _ = next(iter(DeviceLoader(images, real.test_labels[:5], batch_size=5)))
    model.train()  # predict works in eval mode and restores the mode
    with torch.no_grad():
        logits = model.eval()(x)
        hidden = model.classifier[:-1](torch.flatten(model.features(x), 1))
    model.train()
    A.predict(model, images[:1], precision="fp32")
    assert model.training
    assert preds.tolist() == logits.argmax(1).tolist()  # the full forward pass, computed here
    torch.testing.assert_close(feats, hidden)


@pytest.mark.parametrize("images, match", [
    (torch.zeros(2, 28, 28), "uint8 of shape"), (torch.zeros(2, 1, 28, 28, dtype=torch.uint8), "uint8 of shape"),
])
def test_predict_refuses_other_images(model, images, match):
    with pytest.raises(ValueError, match=match):
        A.predict(model, images)


def test_predict_refuses_a_model_without_features_and_classifier():
    with pytest.raises(ValueError, match="AlexNet-style"):
        A.predict(torch.nn.Linear(3, 3), torch.zeros(1, 28, 28, dtype=torch.uint8))


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
    with pytest.raises(ValueError, match="k=51 must be between 1 and the pool size 50"):
        A.nearest_neighbours(q, pool, k=51)
    with pytest.raises(ValueError, match="same number of columns"):
        A.nearest_neighbours(q, pool[:, :4])


def test_model_from_checkpoint(tmp_path, model):
    path = save_checkpoint({"model": model.state_dict(), "optimizer": {}, "rng": torch.get_rng_state(), "epoch": 0,
                            "history": {"config": {"model": "alexnet_d2l"}, "epochs": [{"epoch": 1}]}},
                           tmp_path / "ck.pt")
    loaded = A.model_from_checkpoint(path)
    assert all(torch.equal(a, b) for a, b in zip(loaded.state_dict().values(), model.state_dict().values()))
    save_checkpoint({"model": {}, "optimizer": {}, "rng": torch.get_rng_state(), "epoch": 0,
                     "history": {"config": {"model": "Sequential"}, "epochs": [{"epoch": 1}]}}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="holds a 'Sequential' model; rebuild that model yourself"):
        A.model_from_checkpoint(tmp_path / "other.pt")


def test_analyse_on_real_test_images(model, real, tmp_path):
    record = A.analyse(model, {"config": {"profile": "test"}, "epochs": []}, pool_size=16, queries=2, neighbours=3,
                       mistakes=4, test_images=48, precision="fp32")
    path = A.save_analysis(record, tmp_path / "a.json")
    from alexnet_lib.files import read_checked_json
    loaded = A.load_analysis(read_checked_json(path))  # written with its checksum, which matches
    labels = real.test_labels[:48]
    # Rows of the confusion matrix are the true classes of the first 48 test images, counted from the data.
    assert loaded["confusion"].sum(1).tolist() == torch.bincount(labels, minlength=10).tolist()
    preds, _ = A.predict(model, real.test_images[:48], precision="fp32")
    assert loaded["test_accuracy"] == pytest.approx(float((preds == labels).float().mean()))
    wrong = (preds != labels).nonzero().flatten()[:4].tolist()
    assert [m["index"] for m in loaded["mistakes"]] == wrong
    assert all(m["true"] == int(labels[m["index"]]) and m["predicted"] == int(preds[m["index"]])
               for m in loaded["mistakes"])
    torch.testing.assert_close(loaded["conv1"], model.features[0].weight.detach(), rtol=0, atol=5.1e-6)  # 5 decimals
    assert len(loaded["neighbours"]["indices"]) == 2 and all(0 <= i < 16 for i in loaded["neighbours"]["indices"][0])
    assert record["history"] == {"config": {"profile": "test"}, "provenance": {}}
    agreement = record["neighbours"]["agreement"]
    pool_y = real.train_labels[:16]
    pixel_idx = A.nearest_neighbours(A.pixel_vectors(real.test_images[:48]), A.pixel_vectors(real.train_images[:16]), 3)
    assert agreement["pixels"] == pytest.approx(float((pool_y[pixel_idx] == labels.view(-1, 1)).double().mean()))
    assert agreement["queries"] == 48 and agreement["k"] == 3 and 0 <= agreement["features"] <= 1
    with pytest.raises(ValueError, match="not an analysis record"):
        A.load_analysis({"schema": "other"})


def test_same_class_share_by_hand():
    queries = torch.tensor([0, 1])
    pool = torch.tensor([0, 0, 1, 2])
    # Query 0's neighbours: pool 0 (class 0), pool 2 (class 1); query 1's: pool 2 (1), pool 3 (2): 2 of 4 agree.
    assert A.same_class_share(queries, pool, torch.tensor([[0, 2], [2, 3]])) == 0.5
    with pytest.raises(ValueError, match="one row per query"):
        A.same_class_share(queries, pool, torch.tensor([[0, 2]]))
    with pytest.raises(ValueError, match="must be uint8"):
        A.pixel_vectors(torch.zeros(2, 28, 28))


def test_recorded_analysis_agrees_with_its_training_run_and_the_data(real):
    rec = A.load_analysis("cpu_fast_analysis")
    run = load_record("cpu_fast")
    same = lambda c: {k: v for k, v in c.items() if k != "recipe_settings"}  # noqa: E731  (prose edited later)
    assert same(rec["history"]["config"]) == same(run["config"])  # the analysis is of that run
    # The analysis re-predicted the test set; its accuracy is what fit measured after the last epoch.
    assert rec["test_accuracy"] == pytest.approx(run["epochs"][-1]["test_acc"], abs=2e-3)
    # Rows are true classes: 1,000 test images of each, counted from the data itself.
    assert rec["confusion"].sum(1).tolist() == torch.bincount(real.test_labels, minlength=10).tolist()
    assert rec["test_accuracy"] == pytest.approx(float(rec["confusion"].diag().sum()) / 10_000, abs=1e-12)
    for m in rec["mistakes"]:
        assert m["true"] == int(real.test_labels[m["index"]]) != m["predicted"]
        assert rec["confusion"][m["true"], m["predicted"]] > 0
    assert rec["conv1"].shape == (96, 1, 11, 11) and rec["conv1"].abs().max() > 0


def test_cli_analyse_names_a_missing_run(tmp_path, capsys):
    from alexnet_lib.__main__ import main

    assert main(["analyse", str(tmp_path / "nowhere"), "--out", str(tmp_path / "a.json")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "history.json" in err and not (tmp_path / "a.json").exists()
