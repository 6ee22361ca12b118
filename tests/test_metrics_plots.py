import numpy as np
import pytest

import deepstep as ds
from deepstep import plots
from deepstep.metrics import classification_report, confusion_matrix, precision_recall_f1

PNG = b"\x89PNG\r\n\x1a\n"


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


def test_cost_and_boundary_pictures(tmp_path, rng):
    X = rng.standard_normal((2, 40))
    Y = (X[0] > 0).astype(int)[np.newaxis, :]
    net = ds.DeepNetwork([2, 3, 1], rng=0)
    h = net.fit(X, Y, 0.5, 20)
    plots.plot_cost(h.cost, tmp_path / "cost.png", 0.5)
    plots.plot_decision_boundary(net, X, Y, tmp_path / "boundary.png", resolution=50)
    for name in ("cost.png", "boundary.png"):
        assert (tmp_path / name).read_bytes()[:8] == PNG
    with pytest.raises(ds.DeepstepError, match="2 features"):
        plots.plot_decision_boundary(net, np.ones((3, 4)), Y[:, :4], tmp_path / "x.png")


def test_mislabelled_grid_counts_the_mistakes(tmp_path, rng):
    X = rng.random((4 * 4 * 3, 6))
    Y = np.array([[0, 1, 1, 0, 1, 0]])
    predicted = np.array([[0, 0, 1, 1, 1, 0]])
    n = plots.plot_mislabelled(X, Y, predicted, ["non-cat", "cat"], (4, 4, 3), tmp_path / "wrong.png")
    assert n == 2
    assert (tmp_path / "wrong.png").read_bytes()[:8] == PNG
