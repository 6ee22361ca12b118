import numpy as np
import pytest

from deepstep.metrics import classification_report, confusion_matrix, precision_recall_f1


def test_confusion_matrix_and_scores_by_hand():
    # true:  1 1 1 1 0 0 0 0 0 0     predicted: 1 1 1 0 1 1 0 0 0 0
    y_true = np.array([[1, 1, 1, 1, 0, 0, 0, 0, 0, 0]])
    y_pred = np.array([[1, 1, 1, 0, 1, 1, 0, 0, 0, 0]])
    np.testing.assert_array_equal(confusion_matrix(y_true, y_pred), [[4, 2], [1, 3]])
    precision, recall, f1 = precision_recall_f1(y_true, y_pred)  # TP 3, FP 2, FN 1
    assert precision == pytest.approx(3 / 5) and recall == pytest.approx(3 / 4)
    assert f1 == pytest.approx(2 * 0.6 * 0.75 / 1.35)
    report = classification_report(y_true, y_pred, ["non-cat", "cat"])
    assert report["accuracy"] == pytest.approx(0.7)
    assert report["classes"]["non-cat"]["recall"] == pytest.approx(4 / 6)
    assert report["classes"]["cat"]["support"] == 4


def test_scores_are_zero_not_nan_when_undefined():
    assert precision_recall_f1(np.array([[0, 0]]), np.array([[0, 0]])) == (0.0, 0.0, 0.0)
