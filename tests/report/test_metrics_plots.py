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


# -- weighted metrics, against scikit-learn's own (and integer weights against repeated examples) --------------------


@pytest.mark.parametrize("n_classes", [2, 4])
def test_weighted_classification_metrics_are_scikit_learns(n_classes):
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(n_classes)
    t, p = rng.integers(0, n_classes, 300), rng.integers(0, n_classes, 300)
    p[:150] = t[:150]  # better than chance
    w = rng.random(300) * 3
    report = classification_report(t[np.newaxis], p[np.newaxis], [str(k) for k in range(n_classes)], sample_weight=w)
    np.testing.assert_allclose(report["accuracy"], metrics.accuracy_score(t, p, sample_weight=w), rtol=1e-12)
    np.testing.assert_allclose(report["confusion_matrix"],
                               metrics.confusion_matrix(t, p, labels=range(n_classes), sample_weight=w), rtol=1e-12)
    P, R, F, S = metrics.precision_recall_fscore_support(t, p, labels=range(n_classes), sample_weight=w,
                                                         zero_division=0)
    for k in range(n_classes):
        row = report["classes"][str(k)]
        np.testing.assert_allclose([row["precision"], row["recall"], row["f1"], row["support"]],
                                   [P[k], R[k], F[k], S[k]], rtol=1e-12)
    for how in ("macro", "weighted"):
        P, R, F, _ = metrics.precision_recall_fscore_support(t, p, labels=range(n_classes), average=how,
                                                             sample_weight=w, zero_division=0)
        np.testing.assert_allclose([report[how][key] for key in ("precision", "recall", "f1")], [P, R, F],
                                   rtol=1e-12)


@pytest.mark.parametrize("scale", [1.0, 1e300, 1e-300])
def test_integer_weights_are_repeated_examples(scale):
    """(Targets near 1e300 or 1e-300 too: R^2 weighted scales each output as the unweighted one does.)"""
    from deepstep.metrics import mean_absolute_error, r2_score, root_mean_squared_error

    rng = np.random.default_rng(0)
    t, p = rng.integers(0, 3, 40), rng.integers(0, 3, 40)
    w = rng.integers(0, 4, 40)
    w[0] = 1
    rows = np.repeat(np.arange(40), w)
    weighted = classification_report(t[np.newaxis], p[np.newaxis], ["a", "b", "c"], sample_weight=w)
    repeated = classification_report(t[rows][np.newaxis], p[rows][np.newaxis], ["a", "b", "c"])
    assert weighted["confusion_matrix"] == repeated["confusion_matrix"]
    np.testing.assert_allclose(weighted["accuracy"], repeated["accuracy"], rtol=1e-12)
    Y, A = rng.standard_normal((2, 40)) * scale, rng.standard_normal((2, 40)) * scale
    for f in (r2_score, mean_absolute_error, root_mean_squared_error):
        np.testing.assert_allclose(f(Y, A, sample_weight=w), f(Y[:, rows], A[:, rows]), rtol=1e-12, atol=0,
                                   err_msg=f.__name__)


def test_weighted_regression_metrics_are_scikit_learns():
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(1)
    y, a, w = rng.standard_normal(200), rng.standard_normal(200), rng.random(200)
    from deepstep.metrics import mean_absolute_error, r2_score, root_mean_squared_error

    np.testing.assert_allclose(r2_score(y[np.newaxis], a[np.newaxis], w), metrics.r2_score(y, a, sample_weight=w),
                               rtol=1e-12)
    np.testing.assert_allclose(mean_absolute_error(y[np.newaxis], a[np.newaxis], w),
                               metrics.mean_absolute_error(y, a, sample_weight=w), rtol=1e-12)
    np.testing.assert_allclose(root_mean_squared_error(y[np.newaxis], a[np.newaxis], w),
                               metrics.root_mean_squared_error(y, a, sample_weight=w), rtol=1e-12)


@pytest.mark.parametrize("bad", [[1.0, -1.0, 1.0], [0.0, 0.0, 0.0], [1.0, np.nan, 1.0], [1.0, 1.0]])
def test_bad_weights_are_refused_by_name(bad):
    with pytest.raises(ValueError, match="^sample_weight: "):
        confusion_matrix(np.array([[0, 1, 1]]), np.array([[0, 1, 0]]), sample_weight=bad)
