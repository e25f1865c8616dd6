"""The confusion matrix, accuracy and the most frequent mistakes, against counts made by hand."""

import pytest
import torch

from alexnet_lib.engine.metrics import accuracy, confusion_matrix, most_confused

LABELS = torch.tensor([0, 0, 1, 1, 1, 2, 2, 2, 2])
PREDS = torch.tensor([0, 1, 1, 0, 0, 2, 2, 1, 0])


def counted_by_hand(labels, preds, n):
    c = [[0] * n for _ in range(n)]
    for t, p in zip(labels.tolist(), preds.tolist()):
        c[t][p] += 1
    return c


def test_confusion_from_known_labels():
    c = confusion_matrix(LABELS, PREDS, num_classes=3)
    assert c.tolist() == [[1, 1, 0], [2, 1, 0], [1, 1, 2]]  # rows: true class, columns: predicted
    assert c.dtype == torch.int64


def test_confusion_matches_a_loop_on_random_labels_and_any_shape():
    g = torch.Generator().manual_seed(0)
    labels, preds = torch.randint(0, 10, (4, 50), generator=g), torch.randint(0, 10, (4, 50), generator=g)
    assert confusion_matrix(labels, preds).tolist() == counted_by_hand(labels.flatten(), preds.flatten(), 10)
    assert int(confusion_matrix(labels, preds).sum()) == 200


def test_accuracy_is_the_share_of_the_diagonal():
    assert accuracy(confusion_matrix(LABELS, PREDS, 3)) == pytest.approx(4 / 9)  # 0, 1, 2, 2 right
    assert accuracy(torch.eye(4, dtype=torch.long) * 5) == 1.0
    with pytest.raises(ValueError, match="empty"):
        accuracy(torch.zeros(3, 3, dtype=torch.long))


def test_most_confused_counts_each_direction_and_skips_the_diagonal():
    c = confusion_matrix(LABELS, PREDS, 3)
    # Off-diagonal counts: (1->0) 2, then (0->1), (2->0), (2->1) once each; the diagonal's 2 is not a mistake.
    top = most_confused(c, 4)
    assert top[0] == (1, 0, 2)
    assert sorted(top[1:]) == [(0, 1, 1), (2, 0, 1), (2, 1, 1)]
    assert all(t != p and count == int(c[t, p]) for t, p, count in top)
    assert int(c[2, 2]) == 2 and int(c[1, 1]) == 1  # the input is not modified


def test_most_confused_reports_only_actual_mistakes():
    c = confusion_matrix(LABELS, PREDS, 3)
    assert most_confused(torch.eye(3, dtype=torch.long) * 5, 3) == []  # no mistakes at all
    assert all(t != p and count > 0 for t, p, count in most_confused(c, 9))
    assert len(most_confused(c, 9)) == 4


@pytest.mark.parametrize("labels, preds", [
    ([10], [0]),  # a true class past the last
    ([9], [10]),
    ([-1], [5]),  # a negative class
    ([0], [-1]),
])
def test_out_of_range_classes_are_refused(labels, preds):
    with pytest.raises(ValueError, match="class indices from 0 to 9"):
        confusion_matrix(torch.tensor(labels), torch.tensor(preds), num_classes=10)


@pytest.mark.parametrize("labels, preds", [([0], [10]), ([1], [-1])])
def test_out_of_range_predictions_inside_the_flat_range_are_refused(labels, preds):
    with pytest.raises(ValueError, match="class indices from 0 to 9"):
        confusion_matrix(torch.tensor(labels), torch.tensor(preds), num_classes=10)


def test_mismatched_or_non_tensor_input_is_refused():
    with pytest.raises(ValueError, match=r"same shape.*\[9\].*\[3\]"):
        confusion_matrix(LABELS, PREDS[:3])
    with pytest.raises(ValueError, match="same shape.*list"):
        confusion_matrix([0, 1], torch.tensor([0, 1]))


# ----------------------------------------------------------------------------- top-k accuracy


def top_k_by_hand(scores, labels, k):
    """Per image: count the classes scoring above the true class and those tying with it, then share the places."""
    credits = []
    for row, y in zip(scores.tolist(), labels.tolist()):
        higher = sum(s > row[y] for s in row)
        tied = sum(s == row[y] for s in row) - 1
        places_in_top_k = min(max(k - higher, 0), tied + 1)
        credits.append(places_in_top_k / (tied + 1))
    return sum(credits) / len(credits)


def test_top_k_matches_a_direct_computation_with_and_without_ties():
    from alexnet_lib.engine.metrics import top_k_accuracy

    g = torch.Generator().manual_seed(0)
    smooth = torch.randn(200, 10, generator=g)
    coarse = torch.randint(0, 4, (200, 10), generator=g).float()  # four values over ten classes: ties everywhere
    labels = torch.randint(0, 10, (200,), generator=g)
    for scores in (smooth, coarse):
        for k in range(1, 11):
            assert top_k_accuracy(scores, labels, k) == pytest.approx(top_k_by_hand(scores, labels, k), abs=1e-12)
    # Without ties it is the usual definition: the label is among torch.topk's k indices.
    for k in (1, 2, 5):
        usual = (smooth.topk(k, 1).indices == labels[:, None]).any(1).double().mean()
        assert top_k_accuracy(smooth, labels, k) == pytest.approx(float(usual))
    assert top_k_accuracy(smooth, labels, 10) == 1.0


def test_top_k_of_a_known_example():
    from alexnet_lib.engine.metrics import top_k_accuracy, top_k_hits

    scores = torch.tensor([[2.0, 1.0, 0.5], [0.1, 0.2, 0.3], [1.0, 1.0, 0.0], [0.5, 0.5, 0.5]])
    labels = torch.tensor([0, 0, 1, 2])
    # ranks 1, 3, tied with one other for places 1-2, tied with two others for places 1-3
    assert top_k_hits(scores, labels, 1).tolist() == [1.0, 0.0, 0.5, pytest.approx(1 / 3)]
    assert top_k_hits(scores, labels, 2).tolist() == [1.0, 0.0, 1.0, pytest.approx(2 / 3)]
    assert top_k_accuracy(scores, labels, 3) == 1.0
    # A network with no opinion (every class alike) gets exactly chance, k / classes.
    flat = torch.zeros(7, 10)
    assert [top_k_accuracy(flat, torch.arange(7), k) for k in (1, 2, 5)] == [pytest.approx(0.1), pytest.approx(0.2),
                                                                            pytest.approx(0.5)]


def test_top_k_is_the_same_on_logits_and_their_probabilities():
    from alexnet_lib.engine.metrics import top_k_accuracy

    g = torch.Generator().manual_seed(1)
    logits = torch.randn(100, 10, generator=g) * 3
    labels = torch.randint(0, 10, (100,), generator=g)
    for k in (1, 2, 5):
        assert top_k_accuracy(logits, labels, k) == top_k_accuracy(logits.softmax(1), labels, k)


@pytest.mark.parametrize("k, match", [(11, r"k=11 is more than the 10 classes"), (0, r"k=0 must be an integer >= 1"),
                                      (1.5, r"k=1.5 must be an integer"), (True, r"k=True must be an integer")])
def test_top_k_refuses_a_k_that_means_nothing(k, match):
    from alexnet_lib.engine.metrics import top_k_accuracy

    with pytest.raises(ValueError, match=match):
        top_k_accuracy(torch.zeros(3, 10), torch.tensor([0, 1, 2]), k)


@pytest.mark.parametrize("scores, labels, match", [
    (torch.zeros(10), torch.tensor([0]), r"scores must be a float tensor of shape \(images, classes\)"),
    (torch.zeros(2, 3, dtype=torch.long), torch.tensor([0, 1]), r"got a torch.int64 tensor"),
    ([[0.1, 0.9]], torch.tensor([0]), r"got list"),
    (torch.zeros(0, 3), torch.zeros(0, dtype=torch.long), r"at least one image"),
    (torch.zeros(2, 3), torch.tensor([[0], [1]]), r"labels must be a 1-D integer tensor"),
    (torch.zeros(2, 3), torch.tensor([0.0, 1.0]), r"labels must be a 1-D integer tensor"),
    (torch.zeros(2, 3), torch.tensor([0, 1, 2]), r"2 rows \(images\) but labels has 3 entries"),
    (torch.zeros(2, 3), torch.tensor([0, 3]), r"class indices from 0 to 2"),
    (torch.tensor([[0.0, float("nan")], [1.0, 0.0]]), torch.tensor([0, 1]), r"NaN or infinite"),
])
def test_top_k_checks_shapes_and_labels(scores, labels, match):
    from alexnet_lib.engine.metrics import top_k_accuracy

    with pytest.raises(ValueError, match=match):
        top_k_accuracy(scores, labels, 1)


# ----------------------------------------------------------------------------- an ensemble's probabilities


def test_average_probabilities_is_the_mean_of_the_members_softmax():
    from alexnet_lib.engine.metrics import average_probabilities

    g = torch.Generator().manual_seed(2)
    logits = torch.randn(4, 6, 10, generator=g) * 4
    by_hand = sum(torch.softmax(logits[m], dim=1) for m in range(4)) / 4
    got = average_probabilities(logits)
    assert got.shape == (6, 10) and torch.allclose(got, by_hand, atol=1e-7)
    assert torch.allclose(got.sum(1), torch.ones(6))
    # Not the softmax of the mean logits: one very sure member is outvoted by two unsure ones only here.
    sure = torch.tensor([[[20.0, 0.0, 0.0]], [[0.0, 3.0, 0.0]], [[0.0, 3.0, 0.0]]])
    assert average_probabilities(sure).argmax(1).item() == 1 and sure.mean(0).softmax(1).argmax(1).item() == 0
    assert average_probabilities(logits.double()).dtype == torch.float64


def test_average_probabilities_of_copies_is_the_one_models_softmax():
    from alexnet_lib.engine.metrics import average_probabilities

    logits = torch.randn(5, 10, generator=torch.Generator().manual_seed(3))
    for k in (1, 2, 7):
        assert torch.allclose(average_probabilities(torch.stack([logits] * k)), logits.softmax(1), atol=1e-7)


@pytest.mark.parametrize("logits, match", [
    (torch.zeros(3, 10), r"shape \(members, images, classes\)"),
    (torch.zeros(2, 3, 10, dtype=torch.long), r"torch.int64"),
    (torch.zeros(0, 3, 10), r"at least one member"),
    (torch.full((2, 1, 3), float("inf")), r"NaN or infinite"),
])
def test_average_probabilities_refuses_what_is_not_members_logits(logits, match):
    from alexnet_lib.engine.metrics import average_probabilities

    with pytest.raises(ValueError, match=match):
        average_probabilities(logits)
