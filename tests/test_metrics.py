"""The confusion matrix, accuracy and the most frequent mistakes, against counts made by hand."""

import pytest
import torch

from alexnet_lib.metrics import accuracy, confusion_matrix, most_confused

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
