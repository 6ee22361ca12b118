"""deepstep.plots: the figures hold the data given, are returned for notebooks, and are written only when asked."""

import pickle

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.contour import ContourSet  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import deepstep as ds  # noqa: E402
from deepstep import plots  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """An empty current folder: a figure made without a path must leave it empty."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _contours(ax) -> ContourSet:
    (cs,) = [c for c in ax.collections if isinstance(c, ContourSet)]
    return cs


def _pixel(fig: Figure, ax, x: float, y: float) -> np.ndarray:
    """The RGB (0..255) the figure shows at data point (x, y), rendered with Agg (no pyplot)."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba())
    px, py = ax.transData.transform((x, y))
    return rgba[rgba.shape[0] - int(round(py)), int(round(px)), :3].astype(float)


def _blend_on_white(rgb: tuple, alpha: float) -> np.ndarray:
    return 255 * (alpha * np.asarray(rgb[:3]) + (1 - alpha) * np.ones(3))


# -- cost ----------------------------------------------------------------------------------------------------
def test_cost_figure_holds_the_costs_and_writes_nothing_without_a_path(workdir):
    cost = [0.7, 0.6, 0.45, 0.3]
    fig = plots.plot_cost(cost)
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    ax = fig.axes[0]
    (line,) = ax.lines
    np.testing.assert_array_equal(line.get_xdata(), [0, 1, 2, 3])
    np.testing.assert_array_equal(line.get_ydata(), cost)
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) == ("iteration", "cost J", "cost")
    assert ax.get_legend() is None  # one curve: no legend
    assert list(workdir.iterdir()) == []


def test_cost_figure_is_written_as_png_when_a_path_is_given(tmp_path):
    """The CLI's call: plot_cost(cost, path, lr, per=..., val_cost=...); the validation cost on the same axes."""
    path = tmp_path / "sub" / "cost.png"
    fig = plots.plot_cost([0.7, 0.5, 0.4, 0.35], path, 0.5, per="epoch", val_cost=[0.6, 0.55])
    assert path.read_bytes()[:8] == PNG
    assert sorted(p.name for p in path.parent.iterdir()) == ["cost.png"]  # no temporary file left
    (ax,) = fig.axes
    training, validation = ax.lines
    np.testing.assert_array_equal(validation.get_xdata(), [2, 3])  # the last two epochs
    np.testing.assert_array_equal(validation.get_ydata(), [0.6, 0.55])
    np.testing.assert_array_equal(training.get_ydata(), [0.7, 0.5, 0.4, 0.35])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["training", "validation"]
    assert ax.get_xlabel() == "epoch" and ax.get_title() == "cost (learning rate 0.5)"


def test_cost_axis_is_logarithmic_when_the_cost_spans_orders_of_magnitude():
    assert plots.plot_cost(np.geomspace(10, 0.01, 30)).axes[0].get_yscale() == "log"   # ratio 1000
    assert plots.plot_cost(np.linspace(0.7, 0.3, 30)).axes[0].get_yscale() == "linear"  # ratio 7/3
    assert plots.plot_cost([100.0, 1.0]).axes[0].get_yscale() == "linear"  # exactly 100: not more than 100
    assert plots.plot_cost([100.5, 1.0]).axes[0].get_yscale() == "log"
    assert plots.plot_cost([10.0, 0.0]).axes[0].get_yscale() == "linear"  # a zero cost has no logarithm
    # beyond what matplotlib's log axis can show (1e-100 .. 1e100): linear
    for extreme in ([1e306, 1.0], [1.0, 1e-300], [1e306, 5e-324]):
        fig = plots.plot_cost(extreme)
        assert fig.axes[0].get_yscale() == "linear" and fig._repr_png_()[:8] == PNG  # drawn without a warning
    # the validation cost counts as well
    assert plots.plot_cost([1.0, 0.9], val_cost=[1000.0]).axes[0].get_yscale() == "log"
    # or as asked
    assert plots.plot_cost([0.7, 0.3], log_scale=True).axes[0].get_yscale() == "log"
    ax = plots.plot_cost(np.geomspace(10, 0.01, 5), log_scale=False).axes[0]
    assert ax.get_yscale() == "linear" and ax.get_ylabel() == "cost J"
    assert plots.plot_cost([10.0, 0.01]).axes[0].get_ylabel() == "cost J (log scale)"


def test_cost_takes_arrays_and_leaves_them_as_they_were():
    cost, val = np.array([0.9, 0.5, 0.2], dtype=np.float32), np.array([0.8, 0.6])
    kept = cost.copy(), val.copy()
    fig = plots.plot_cost(cost, val_cost=val)
    np.testing.assert_array_equal(fig.axes[0].lines[0].get_ydata(), kept[0])
    np.testing.assert_array_equal(cost, kept[0])
    np.testing.assert_array_equal(val, kept[1])
    assert len(plots.plot_cost(cost, val_cost=[]).axes[0].lines) == 1  # an empty val_cost: no curve


@pytest.mark.parametrize("kwargs, message", [
    (dict(cost=[]), "cost: expected a non-empty sequence"),
    (dict(cost=[1.0, float("nan")]), "cost: expected finite numbers, got 1 NaN or inf"),
    (dict(cost=["0.5", "0.4"]), "cost: expected a non-empty sequence of finite numbers"),
    (dict(cost=[[0.5, 0.4]]), r"cost: expected .* got shape \(1, 2\)"),
    (dict(cost=None), "cost: expected .* got NoneType"),
    (dict(cost=[0.5, 0.4], val_cost=[0.5, 0.4, 0.3]), "val_cost: expected at most len"),
    (dict(cost=[0.5, 0.4], val_cost=[np.inf]), "val_cost: expected finite numbers"),
    (dict(cost=[0.5, 0.4], val_cost=0.5), r"val_cost: expected .* got shape \(\)"),
    (dict(cost=[0.5, 0.0], log_scale=True), r"log_scale: expected costs within 1e-100 .. 1e\+100 .* got 0 .. 0.5"),
    (dict(cost=[2e306, 0.5]), r"cost: expected values within \+-1e\+306 to draw"),
    (dict(cost=[0.5, 0.4], log_scale="yes"), "log_scale: expected True, False or None"),
    (dict(cost=[0.5, 0.4], learning_rate=-1.0), "learning_rate: expected a positive"),
    (dict(cost=[0.5, 0.4], per=3), "per: expected a string"),
])
def test_cost_refuses_bad_input_by_name(kwargs, message):
    with pytest.raises(ds.DeepstepError, match=message):
        plots.plot_cost(**kwargs)


# -- decision boundary ---------------------------------------------------------------------------------------
def _net(W, b, output="sigmoid"):
    return ds.DeepNetwork.from_parameters({"W1": np.array(W, float), "b1": np.array(b, float)},
                                          output_activation=output)


def test_sigmoid_boundary_colours_each_side_by_its_class(workdir):
    """sigmoid(x1) > 0.5 exactly where x1 > 0: the left half of the plane is class 0, the right half class 1."""
    net = _net([[1.0, 0.0]], [[0.0]])
    X = np.array([[-1.0, 1.0, -1.0, 1.0], [-1.0, -1.0, 1.0, 1.0]])
    Y = np.array([[0, 1, 1, 1]])
    kept = X.copy(), Y.copy()
    fig = plots.plot_decision_boundary(net, X, Y, resolution=41)
    assert list(workdir.iterdir()) == []
    (ax,) = fig.axes
    np.testing.assert_array_equal(_contours(ax).levels, [-0.5, 0.5, 1.5])
    (points,) = [c for c in ax.collections if not isinstance(c, ContourSet)]
    np.testing.assert_array_equal(points.get_offsets(), X.T)
    np.testing.assert_array_equal(points.get_array(), [0, 1, 1, 1])
    # the grid reaches 10% of the range (0.2) beyond the points
    assert ax.get_xlim() == pytest.approx((-1.2, 1.2)) and ax.get_ylim() == pytest.approx((-1.2, 1.2))
    # rendered: class 0 (band around 0, at (0 + 0.5) / 2 on coolwarm) left, class 1 right, alpha 0.35 on white
    import matplotlib

    coolwarm = matplotlib.colormaps["coolwarm"]
    for x, k in ((-0.5, 0), (0.5, 1)):
        np.testing.assert_allclose(_pixel(fig, ax, x, 0.0), _blend_on_white(coolwarm((k + 0.5) / 2), 0.35), atol=2)
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) == ("x1", "x2", "decision boundary of [2, 1]")
    np.testing.assert_array_equal(X, kept[0])
    np.testing.assert_array_equal(Y, kept[1])


def test_softmax_boundary_shows_the_most_likely_class(tmp_path):
    """Scores (x1, x2, 0): class 0 where x1 is the largest, class 1 where x2 is, class 2 where both are < 0."""
    net = _net([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]], [[0.0], [0.0], [0.0]], output="softmax")
    X = np.array([[1.0, -1.0, -1.0, 0.2], [-1.0, 1.0, -1.0, 0.1]])
    Y_one_hot = np.eye(3)[:, [0, 1, 2, 0]]
    path = tmp_path / "softmax.png"
    fig = plots.plot_decision_boundary(net, X, Y_one_hot, path, resolution=61)
    assert path.read_bytes()[:8] == PNG
    (ax,) = fig.axes
    np.testing.assert_array_equal(_contours(ax).levels, [-0.5, 0.5, 1.5, 2.5])
    (points,) = [c for c in ax.collections if not isinstance(c, ContourSet)]
    np.testing.assert_array_equal(points.get_array(), [0, 1, 2, 0])  # the one-hot columns as class indices
    import matplotlib

    tab10 = matplotlib.colormaps["tab10"]
    for (x, y), k in (((0.8, -0.5), 0), ((-0.5, 0.8), 1), ((-0.5, -0.4), 2)):
        np.testing.assert_allclose(_pixel(fig, ax, x, y), _blend_on_white(tab10((k + 0.5) / 3), 0.35), atol=2)
    # (1, m) class indices draw the same points
    fig2 = plots.plot_decision_boundary(net, X, np.array([[0, 1, 2, 0]]), resolution=5)
    (points2,) = [c for c in fig2.axes[0].collections if not isinstance(c, ContourSet)]
    np.testing.assert_array_equal(points2.get_array(), [0, 1, 2, 0])


class _Regressor:
    """What plot_decision_boundary uses of a network with a linear output: A[L] = x1 + 2 x2."""

    layer_dims = [2, 1]
    output_activation = "linear"

    def __init__(self):
        self.grids = []

    def predict(self, X):
        self.grids.append(X.copy())
        return (X[0] + 2 * X[1])[np.newaxis, :]

    predict_proba = predict


def test_regression_draws_contours_of_the_predicted_value(workdir):
    net = _Regressor()
    X = np.array([[0.0, 1.0, 2.0], [0.0, 0.5, 1.0]])
    Y = np.array([[0.5, 2.0, 3.5]])
    fig = plots.plot_decision_boundary(net, X, Y, resolution=11)
    (grid,) = net.grids
    assert grid.shape == (2, 121)
    # x1 over [-0.2, 2.2], x2 over [-0.1, 1.1] (10% of each range beyond it)
    assert (grid[0].min(), grid[0].max(), grid[1].min(), grid[1].max()) == pytest.approx((-0.2, 2.2, -0.1, 1.1))
    ax, colour_bar = fig.axes
    levels = _contours(ax).levels
    # the values span -0.2 + 2 (-0.1) = -0.4 to 2.2 + 2 (1.1) = 4.4 (the targets 0.5 .. 3.5 lie inside)
    np.testing.assert_allclose(levels, np.linspace(-0.4, 4.4, 21))
    (points,) = [c for c in ax.collections if not isinstance(c, ContourSet)]
    np.testing.assert_array_equal(points.get_array(), [0.5, 2.0, 3.5])  # coloured by target, same scale
    assert points.norm.vmin == pytest.approx(-0.4) and points.norm.vmax == pytest.approx(4.4)
    assert colour_bar.get_ylabel() == "predicted value" and ax.get_title() == "predicted value of [2, 1]"
    assert list(workdir.iterdir()) == []


def test_regression_with_a_constant_prediction_still_draws():
    net = _Regressor()
    net.predict = lambda X: np.full((1, X.shape[1]), 3.0)
    fig = plots.plot_decision_boundary(net, np.array([[0.0, 1.0], [0.0, 1.0]]), np.array([[3.0, 3.0]]),
                                       resolution=5)
    np.testing.assert_allclose(_contours(fig.axes[0]).levels[[0, -1]], [3.0 - 3e-3, 3.0 + 3e-3])


def test_boundary_of_points_near_the_float_range_or_all_at_one_place():
    net = _net([[1.0, 0.0]], [[0.0]])
    X = np.array([[-1e306, 1e306], [5.0, 5.0]])  # one x2 value: a band of max(10% of it, 1) around it
    ax = plots.plot_decision_boundary(net, X, np.array([[0, 1]]), resolution=5).axes[0]
    assert ax.get_xlim() == pytest.approx((-1.2e306, 1.2e306)) and ax.get_ylim() == pytest.approx((4.0, 6.0))
    with pytest.raises(ds.DeepstepError, match=r"X: expected values within \+-1e\+306 to draw"):
        plots.plot_decision_boundary(net, np.array([[-1e307, 1.0], [0.0, 1.0]]), np.array([[0, 1]]))


@pytest.mark.parametrize("X, Y, kwargs, message", [
    (np.ones((3, 4)), np.zeros((1, 4)), {}, "X: expected 2 features"),
    (np.ones((2, 4)), np.zeros((1, 3)), {}, r"Y: expected class labels of shape \(1, 4\)"),
    (np.ones((2, 4)), np.array([[0, 1, 2, 0]]), {}, r"Y: expected class indices 0..1"),
    (np.ones((2, 4)), np.zeros((1, 4)), dict(resolution=1), "resolution: expected an integer with"),
    (np.array([[1.0, np.nan], [0.0, 0.0]]), np.zeros((1, 2)), {}, "X: expected finite values"),
])
def test_boundary_refuses_bad_input_by_name(X, Y, kwargs, message):
    with pytest.raises(ds.DeepstepError, match=message):
        plots.plot_decision_boundary(_net([[1.0, 0.0]], [[0.0]]), X, Y, **kwargs)


def test_regression_boundary_needs_one_output_and_real_targets():
    two_outputs = _Regressor()
    two_outputs.layer_dims = [2, 2]
    X = np.ones((2, 3))
    with pytest.raises(ds.DeepstepError, match="net: expected a regression network with one output"):
        plots.plot_decision_boundary(two_outputs, X, np.ones((2, 3)))
    with pytest.raises(ds.DeepstepError, match=r"Y: expected target values of shape \(1, 3\)"):
        plots.plot_decision_boundary(_Regressor(), X, np.ones((2, 3)))


# -- mislabelled pictures ------------------------------------------------------------------------------------
def test_mislabelled_pictures_are_the_wrong_ones(tmp_path, rng):
    X = rng.random((4 * 4 * 3, 6))
    Y = np.array([[0, 1, 1, 0, 1, 0]])
    predicted = np.array([[0, 0, 1, 1, 1, 0]])  # wrong at columns 1 and 3
    np.testing.assert_array_equal(plots.mislabelled_indices(Y, predicted), [1, 3])
    path = tmp_path / "wrong.png"
    fig = plots.plot_mislabelled(X, Y, predicted, ["non-cat", "cat"], (4, 4, 3), path)
    assert path.read_bytes()[:8] == PNG
    assert [ax.get_title() for ax in fig.axes] == ["true: cat\npredicted: non-cat", "true: non-cat\npredicted: cat"]
    for ax, j in zip(fig.axes, [1, 3], strict=True):
        np.testing.assert_array_equal(ax.images[0].get_array(), X[:, j].reshape(4, 4, 3))
    assert fig.get_suptitle() == "2 of 6 mislabelled"


def test_mislabelled_limit_grey_pictures_and_none_wrong(workdir):
    X = np.linspace(-0.5, 1.5, 4 * 3 * 5).reshape(12, 5)  # grey 4 x 3 pictures, values outside [0, 1] clipped
    Y, predicted = np.array([[1, 1, 1, 0, 0]]), np.array([[0, 0, 1, 1, 0]])
    fig = plots.plot_mislabelled(X, Y, predicted, ["a", "b"], (4, 3, 1), limit=2)
    assert len(fig.axes) == 2 and fig.get_suptitle() == "3 of 5 mislabelled (first 2 shown)"
    np.testing.assert_array_equal(fig.axes[1].images[0].get_array(), np.clip(X[:, 1], 0, 1).reshape(4, 3))
    assert list(workdir.iterdir()) == []
    fig = plots.plot_mislabelled(X, Y, Y, ["a", "b"], (4, 3))
    (ax,) = fig.axes
    assert ax.texts[0].get_text() == "no mislabelled pictures" and fig.get_suptitle() == "0 of 5 mislabelled"


@pytest.mark.parametrize("Y, predicted, classes, shape, message", [
    (np.array([[0, 1]]), np.array([[0, 1, 1]]), ["a", "b"], (2, 2, 3), "Y, predicted: expected two label arrays"),
    (np.array([[0, 2]]), np.array([[0, 1]]), ["a", "b"], (2, 2, 3), r"Y: expected class indices 0..1"),
    (np.array([[0, 1]]), np.array([[0, 1]]), ["a", "b"], (2, 3, 2), "image_shape: expected"),
    (np.array([[0, 1]]), np.array([[0, 1]]), ["a", "b"], (3, 3), "image_shape: expected"),
])
def test_mislabelled_refuses_bad_input_by_name(Y, predicted, classes, shape, message):
    with pytest.raises(ds.DeepstepError, match=message):
        plots.plot_mislabelled(np.zeros((12, 2)), Y, predicted, classes, shape)


# -- notebooks -----------------------------------------------------------------------------------------------
def test_figures_show_in_a_notebook_as_png_and_pickle():
    fig = plots.plot_cost([0.7, 0.3])
    assert fig._repr_png_()[:8] == PNG  # what IPython calls for the picture
    again = pickle.loads(pickle.dumps(fig))
    np.testing.assert_array_equal(again.axes[0].lines[0].get_ydata(), [0.7, 0.3])
