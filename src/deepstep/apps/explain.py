"""One iteration of gradient descent written out in the course's notation, every gradient checked on the spot.

:func:`explain` runs the forward pass, the cost, the backward pass and the update of one iteration on a
network, layer by layer, with the engine's own functions, and records each equation with the shapes of its
factors and its value (in full when small, else its shape, mean, min and max).  Each gradient -- dZ[l],
dW[l], db[l], dA[l-1] -- is compared with centered finite differences of the cost, in float64::

    dW[l] ~ (J(W[l] + eps) - J(W[l] - eps)) / (2 eps)        (entry by entry)
    dZ[l] ~ m (J(Z[l] + eps) - J(Z[l] - eps)) / (2 eps)      (the course's dZ and dA are m times dJ/dZ, dJ/dA:
                                                               the 1/m enters with dW and db)

and the relative error ||grad - approx|| / (||grad|| + ||approx||) is printed beside it.  The network is not
changed: the update is computed, shown, and left for :meth:`deepstep.DeepNetwork.fit` to make.

The result prints as aligned text, and renders as Markdown (LaTeX equations) or HTML (MathML equations, for
notebooks and web pages; Jupyter shows it by itself through ``_repr_html_``).

>>> import numpy as np
>>> import deepstep as ds
>>> net = ds.DeepNetwork([2, 3, 1], "tanh", rng=1)
>>> X, Y = ds.datasets.make_planar(m=4, rng=0)
>>> e = ds.explain(net, X, Y, learning_rate=1.2)
>>> [s.equation for s in e.steps][:2]
['Z[1] = W[1] A[0] + b[1]', 'A[1] = tanh(Z[1])']
>>> e.steps[0].shapes
'(3, 4) = (3, 2) (2, 4) + (3, 1)'
>>> e.worst_check < 1e-7
True
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.backward import backward_from_dZL
from ..core.cost import squared_norm
from ..core.engine import forward_layers, l2_cost, linear, output_delta
from ..core.gradcheck import _relative_error
from ..core.initialization import RngLike, as_rng
from ..core.kernels import apply_dropout, dropout_mask
from ..core.layers import BatchNorm
from ..core.optimizers import Optimizer, get_optimizer
from ..errors import DeepstepError, _describe, check_keep_prob, check_l2, check_learning_rate, check_number
from ..limits import check_memory, explain_bytes
from ..training.signals import layer_signals

if TYPE_CHECKING:
    from ..model.network import DeepNetwork

__all__ = ["Explanation", "Step", "explain", "FORMATS"]

FORMATS = ("text", "markdown", "html")
SHOWN_IN_FULL = 32
"""Arrays of at most this many values are shown in full; larger ones as shape, mean, min and max."""
MAX_CHECKED = 60
"""Entries per gradient compared with finite differences (all of them when there are fewer; else a sample
drawn with the explanation's rng)."""
EPSILON = 1e-6


@dataclass(frozen=True)
class Step:
    """One equation of the iteration.

    Attributes
    ----------
    phase : str
        "forward", "cost", "backward" or "update".
    layer : int or None
        l (None for the cost).
    equation : str
        The course's notation in plain text, such as ``"Z[1] = W[1] A[0] + b[1]"``.
    math : str
        The same, as a small formula language :func:`to_latex` and :func:`to_mathml` typeset.
    shapes : str
        The shapes of the result and of its factors, such as ``"(4, 5) = (4, 2) (2, 5) + (4, 1)"``.
    value : ndarray or float
        The result (a copy).
    check : float or None
        Relative error ||grad - approx|| / (||grad|| + ||approx||) of this gradient against centered finite
        differences (None for non-gradients, or when not checked).
    checked : int
        How many entries the check compared.
    verdict : str or None
        "ok" (below the dtype's tolerance, or both within the rounding of finite differences), "doubtful"
        (below 1e-3), "WRONG", or "n/a" (the cost is clipped where A[L] reaches 0 or 1: not checkable).
    """

    phase: str
    layer: int | None
    equation: str
    math: str
    shapes: str
    value: Any
    check: float | None = None
    checked: int = 0
    verdict: str | None = None


# -- the formula language ------------------------------------------------------------------------------------
# Tokens: a layer quantity "dW[2]^T", a fraction "(1/2m)", "sum_j", an operator, a name (tanh, alpha, Y), a number.
_TOKEN = re.compile(r"\s*(?:(?P<var>(?:[vs]_)?d?(?:gamma|beta|mu|sigma2|Zn|Zt|running_mean|running_var|[A-Za-z])"
                    r"\[(?:\d+|l)\](?:\^T)?)|"
                    r"(?P<frac>\((?:1|lambda)/2?m\))|"
                    r"(?P<sum>sum_[jkl])|(?P<op>:=|\|\||\^[2t]|<=|[=+\-*/(),<>]|')|(?P<name>[A-Za-z_]+\d?)|"
                    r"(?P<num>\d+(?:\.\d+)?))")
_GREEK = {"alpha": ("\\alpha", "\u03b1"), "lambda": ("\\lambda", "\u03bb"), "sigma": ("\\sigma", "\u03c3"),
          "beta": ("\\beta", "\u03b2"), "beta1": ("\\beta_1", "\u03b2\u2081"), "beta2": ("\\beta_2", "\u03b2\u2082"),
          "epsilon": ("\\varepsilon", "\u03b5")}
_FUNCTIONS = ("tanh", "log", "exp", "relu", "leaky_relu", "softmax", "max", "g")
_OPS_LATEX = {":=": ":=", "*": "\\odot", "||": "\\|", "-": "-", "'": "'", "^2": "^2", "^t": "^t"}
_OPS_MATHML = {":=": ":=", "*": "\u2299", "||": "\u2016", "-": "\u2212", "'": "\u2032"}


def _tokens(math: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(math):
        match = _TOKEN.match(math, pos)
        if match is None or match.end() == pos:
            if math[pos:].strip() == "":
                break
            raise DeepstepError(f"math: cannot read {math[pos:]!r}")
        kind = match.lastgroup
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


#: batch normalization's quantities: their LaTeX and their MathML identifier
_BN_NAMES = {"gamma": ("\\gamma", "\u03b3"), "beta": ("\\beta", "\u03b2"), "mu": ("\\mu", "\u03bc"),
             "sigma2": ("\\sigma^2", "\u03c3\u00b2"), "Zn": ("Z_{norm}", "Z\u2099"), "Zt": ("\\tilde{Z}", "Z\u0303"),
             "running_mean": ("\\mathrm{running\\_mean}", "running_mean"),
             "running_var": ("\\mathrm{running\\_var}", "running_var")}


def _base_latex(base: str) -> str:
    d, name = ("d", base[1:]) if base[:1] == "d" and base[1:] in _BN_NAMES else ("", base)
    return d + _BN_NAMES[name][0] if name in _BN_NAMES else base


def _base_mathml(base: str) -> str:
    d, name = ("d", base[1:]) if base[:1] == "d" and base[1:] in _BN_NAMES else ("", base)
    return d + _BN_NAMES[name][1] if name in _BN_NAMES else base


def _var_parts(text: str) -> tuple[str, str, str, bool]:
    """"v_dW[2]^T" -> ("v", "dW", "2", True): an optimizer's state letter (or ""), the name, the layer, T."""
    state, _, text = text.rpartition("_") if text[:2] in ("v_", "s_") else ("", "", text)
    base, _, rest = text.partition("[")
    layer, _, tail = rest.partition("]")
    return state, base, layer, tail == "^T"


def plain(math: str) -> str:
    """The formula language as plain text: "( 1 - beta ) dW[1] ^2" -> "(1 - beta) dW[1]^2"."""
    text = " ".join(math.split())
    for a, b in (("( ", "("), (" )", ")"), (" ^", "^"), (" '", "'"), ("sqrt (", "sqrt("), ("log (", "log("),
                 ("g (", "g(")):
        text = text.replace(a, b)
    return text


def _grouped(tex: str) -> bool:
    """Whether ``tex`` is one brace group, ``{...}`` whose first brace closes at its end."""
    if not (tex.startswith("{") and tex.endswith("}")):
        return False
    depth = 0
    for i, c in enumerate(tex):
        depth += (c == "{") - (c == "}")
        if depth == 0 and i < len(tex) - 1:
            return False
    return True


def to_latex(math: str) -> str:
    """The formula language as LaTeX: ``to_latex("dW[1] = (1/m) dZ[1] A[0]^T")`` is
    ``dW^{[1]} = \\frac{1}{m} dZ^{[1]} A^{[0]T}``."""
    parts: list[str] = []
    opened: list[bool] = []  # for each open parenthesis: whether it is sqrt's (typeset as \sqrt{...})
    tokens = _tokens(math)
    for i, (kind, text) in enumerate(tokens):
        if kind == "name" and text == "sqrt" and i + 1 < len(tokens) and tokens[i + 1] == ("op", "("):
            parts.append("\\sqrt")
            continue
        if kind == "op" and text == "(":
            opened.append(bool(parts) and parts[-1] == "\\sqrt")
            if opened[-1]:
                parts[-1] = "\\sqrt{"
                continue
        if kind == "op" and text == ")" and opened and opened.pop():
            parts.append("}")
            continue
        if kind == "op" and text in ("^2", "^t") and parts and "^" in parts[-1] and not _grouped(parts[-1]):
            parts[-1] = "{" + parts[-1] + "}"  # (a superscript on a superscripted quantity: grouped, not doubled)
        if kind == "var":
            state, base, layer, transposed = _var_parts(text)
            shown = _base_latex(base)
            shown = shown if shown == base else f"{{{shown}}}"  # (a typeset name is grouped under its superscript)
            var = f"{shown}^{{[{layer}]{'T' if transposed else ''}}}"
            parts.append(f"{state}_{{{var}}}" if state else var)
        elif kind == "frac":
            top, bottom = text[1:-1].split("/")
            parts.append(f"\\frac{{{_GREEK.get(top, (top,))[0]}}}{{{bottom}}}")
        elif kind == "sum":
            parts.append(f"\\sum_{{{text[-1]}}}")
        elif kind == "op":
            parts.append(_OPS_LATEX.get(text, text))
        elif kind == "name":
            if text in _GREEK:
                parts.append(_GREEK[text][0])
            elif text in ("tanh", "log", "exp", "max"):
                parts.append(f"\\{text}")
            elif text == "sqrt":
                parts.append("\\surd")
            elif text in _FUNCTIONS or len(text) > 1:
                parts.append(f"\\operatorname{{{text.replace('_', chr(92) + '_')}}}")
            else:
                parts.append(text)
        else:
            parts.append(text)
    text = " ".join(parts).replace(" ^2", "^2").replace(" ^t", "^t").replace(" '", "'")
    return text.replace("\\sqrt{ ", "\\sqrt{").replace(" }", "}")


def to_mathml(math: str) -> str:
    """The formula language as presentation MathML (a ``<math>`` element, rendered by every current browser)."""
    items: list[str] = []
    for kind, text in _tokens(math):
        if kind == "var":
            state, base, layer, transposed = _var_parts(text)
            index = f"<mn>{layer}</mn>" if layer.isdigit() else f"<mi>{layer}</mi>"
            sup = f"<mo>[</mo>{index}<mo>]</mo>" + ("<mi mathvariant=\"normal\">T</mi>" if transposed else "")
            var = f"<msup><mi>{_base_mathml(base)}</mi><mrow>{sup}</mrow></msup>"
            items.append(f"<msub><mi>{state}</mi>{var}</msub>" if state else var)
        elif kind == "frac":
            top, bottom = text[1:-1].split("/")
            top_ml = f"<mi>{_GREEK[top][1]}</mi>" if top in _GREEK else f"<mn>{top}</mn>"
            bottom_ml = "<mrow><mn>2</mn><mi>m</mi></mrow>" if bottom == "2m" else "<mi>m</mi>"
            items.append(f"<mfrac>{top_ml}{bottom_ml}</mfrac>")
        elif kind == "sum":
            items.append(f"<munder><mo>\u2211</mo><mi>{text[-1]}</mi></munder>")
        elif kind == "op" and text in ("^2", "^t"):
            last = items.pop() if items else "<mrow></mrow>"
            items.append(f"<msup>{last}{'<mn>2</mn>' if text == '^2' else '<mi>t</mi>'}</msup>")
        elif kind == "op":
            items.append(f"<mo>{html.escape(_OPS_MATHML.get(text, text))}</mo>")
        elif kind == "name" and text == "sqrt":
            items.append("<mo>\u221a</mo>")
        elif kind == "name":
            shown = _GREEK[text][1] if text in _GREEK else text
            items.append(f"<mi>{html.escape(shown)}</mi>")
        else:
            items.append(f"<mn>{text}</mn>")
    return f"<math display=\"inline\"><mrow>{''.join(items)}</mrow></math>"


# -- equations of each activation and task -------------------------------------------------------------------
def _cost_equation(task_name: str, output: str, L: int) -> tuple[str, str]:
    A = f"A[{L}]"
    if task_name == "regression":
        return (f"J = (1/2m) sum ||{A} - Y||^2", f"J = (1/2m) sum_j || {A} - Y || ^2")
    if output == "softmax":
        return (f"J = -(1/m) sum sum Y log {A}", f"J = - (1/m) sum_j sum_k Y log {A}")
    return (f"J = -(1/m) sum(Y log {A} + (1 - Y) log(1 - {A}))",
            f"J = - (1/m) sum_j ( Y log {A} + ( 1 - Y ) log ( 1 - {A} ) )")


# -- the explanation -----------------------------------------------------------------------------------------
@dataclass
class Explanation:
    """One iteration, step by step (:func:`explain`); ``str()`` is the text form.

    Attributes
    ----------
    steps : list of Step
    layer_dims : list of int
    hidden_activation, output_activation : str
    m : int
        Examples.
    learning_rate : float
        alpha of this iteration (alpha0 through the optimizer's schedule).
    l2 : float
    cost : float
        J of this iteration's forward pass (L2 term included).
    optimizer : str
        The optimizer, as its repr ("Adam(beta1=0.9, ...)"; "gradient descent" for plain gd).
    inputs : dict of str -> ndarray
        X (= A[0], standardized where the network standardizes) and Y, as the engine sees them.
    note : str
        Why the gradients could not be checked, when they could not ("" otherwise).
    keep_prob : list of float
        Inverted dropout's keep_prob of each hidden layer ([] or all 1.0: no dropout).
    signals : dict
        The per-layer signals of this step (:func:`deepstep.training.signals.layer_signals`, without dropout): the
        norms of W[l], dW[l] and of this update, Z[l] and A[l]'s statistics, saturated and dead units.
    """

    steps: list[Step]
    layer_dims: list[int]
    hidden_activation: str
    output_activation: str
    m: int
    learning_rate: float
    l2: float
    cost: float
    optimizer: str = "gradient descent"
    inputs: dict[str, np.ndarray] = field(default_factory=dict)
    note: str = ""
    keep_prob: list[float] = field(default_factory=list)
    signals: dict[str, list] = field(default_factory=dict)

    @property
    def worst_check(self) -> float | None:
        """The largest relative error of any gradient's check (None when no gradient was checked)."""
        checks = [s.check for s in self.steps if s.check is not None and s.verdict != "n/a"]
        return max(checks) if checks else None

    @property
    def unchecked(self) -> int:
        """How many gradients finite differences could not check ("n/a": a clipped cost, a cost so large that
        rounding swamps the differences, or a non-finite difference)."""
        return sum(s.verdict == "n/a" for s in self.steps)

    @property
    def checks_pass(self) -> bool | None:
        """Whether every gradient is "ok": False when one is not, None when none was checked or some could not
        be (never True for a gradient that was not really checked)."""
        verdicts = [s.verdict for s in self.steps if s.verdict is not None]
        if any(v not in ("ok", "n/a") for v in verdicts):
            return False
        return None if not verdicts or "n/a" in verdicts else True

    def title(self) -> str:
        reg = f", L2 lambda = {self.l2:g}" if self.l2 else ""
        if any(p < 1 for p in self.keep_prob):
            shown = {f"{p:g}" for p in self.keep_prob}
            reg += f", dropout keep_prob = {shown.pop() if len(shown) == 1 else self.keep_prob}"
        return (f"One iteration of {self.optimizer} on a network {self.layer_dims} ({self.hidden_activation} hidden, "
                f"{self.output_activation} output), m = {self.m} examples, learning rate alpha = "
                f"{self.learning_rate:g}{reg}")

    def summary(self) -> str:
        """The last line: how the gradients fared against finite differences."""
        if self.note:
            return self.note
        worst = self.worst_check
        if worst is None:
            return ("the gradients could not be checked against finite differences (n/a: " + UNCHECKABLE + ")"
                    if self.unchecked else "the gradients were not checked against finite differences")
        verdict = {True: "every gradient ok", False: "some gradient is not right: see the check column",
                   None: f"{self.unchecked} could not be checked (n/a: {UNCHECKABLE})"}[self.checks_pass]
        return (f"largest relative error of a gradient against finite differences: {worst:.1e} ({verdict}; below "
                "1e-7 back-propagation is right)")

    # -- renderings ------------------------------------------------------------------------------------------
    def render(self, format: str = "text") -> str:
        """The explanation as text.

        Parameters
        ----------
        format : {"text", "markdown", "html"}
            Aligned text for a terminal; Markdown with LaTeX equations; HTML with MathML equations.

        Returns
        -------
        str

        Raises
        ------
        DeepstepError
            For another format.
        """
        if format not in FORMATS:
            raise DeepstepError(f"format: expected one of {list(FORMATS)}, got {_describe(format)}")
        return {"text": self._text, "markdown": self._markdown, "html": self._html}[format]()

    def __str__(self) -> str:
        return self._text()

    def _repr_html_(self) -> str:
        return self._html()

    def _repr_markdown_(self) -> str:
        return self._markdown()

    def _sections(self) -> list[tuple[str, list[Step]]]:
        names = {"forward": "Forward propagation", "cost": "Cost", "backward": "Backward propagation",
                 "update": f"Update ({self.optimizer}, alpha = {self.learning_rate:g})"}
        return [(title, [s for s in self.steps if s.phase == phase]) for phase, title in names.items()]

    _SIGNAL_COLUMNS = (("W_norm", "||W||"), ("dW_norm", "||dW||"), ("update_ratio", "||update|| / ||W||"),
                       ("Z_mean", "mean Z"), ("Z_std", "std Z"), ("A_mean", "mean A"), ("A_std", "std A"),
                       ("saturated", "saturated"), ("dead", "dead ReLU"))
    SIGNALS_TITLE = "Per-layer signals (no dropout): vanishing or exploding gradients, saturated and dead units"

    def _signal_rows(self) -> list[list[str]]:
        """[layer, figure, ...] per layer, as text ("-" where a figure does not apply)."""
        if not self.signals:
            return []
        rows = []
        for l in range(len(self.layer_dims) - 1):
            cells = [str(l + 1)]
            for key, _ in self._SIGNAL_COLUMNS:
                v = self.signals[key][l]
                cells.append("-" if v is None else f"{v:.0%}" if key in ("saturated", "dead") else _g(v, 3))
            rows.append(cells)
        return rows

    @staticmethod
    def _check(s: Step) -> str:
        if s.verdict is None:
            return ""
        return "n/a" if s.verdict == "n/a" else f"{s.check:.1e} {s.verdict}"

    def _text(self) -> str:
        width = max(len(s.equation) for s in self.steps) + 2
        shapes = max(len(s.shapes) for s in self.steps) + 2
        lines = [self.title(), ""]
        for name, value in self.inputs.items():
            lines += _value_lines(name, value, "  ")
        for title, steps in self._sections():
            lines += ["", title]
            for s in steps:
                check = f"finite differences: {self._check(s)}" if s.verdict else ""
                lines.append(f"  {s.equation:<{width}}{s.shapes:<{shapes}}{check}".rstrip())
                lines += _value_lines("", s.value, "      ")
        rows = self._signal_rows()
        if rows:
            head = ["layer", *(name for _, name in self._SIGNAL_COLUMNS)]
            widths = [max(len(r[i]) for r in [head, *rows]) + 2 for i in range(len(head))]
            lines += ["", self.SIGNALS_TITLE]
            for r in [head, *rows]:
                lines.append("  " + "".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
        return "\n".join([*lines, "", self.summary()]) + "\n"

    def _markdown(self) -> str:
        lines = [f"**{self.title()}**", "", "### Given (the parameters before the step)", "", "| quantity | value |",
                 "|---|---|"]
        for name, value in self.inputs.items():
            shown = "<br>".join(_value_lines("", value, "")).replace("|", "\\|")
            lines.append(f"| `{name}` | <code>{shown}</code> |")
        lines.append("")
        for title, steps in self._sections():
            lines += [f"### {title}", "", "| equation | shapes | value | finite differences |", "|---|---|---|---|"]
            for s in steps:
                value = "<br>".join(_value_lines("", s.value, "")).replace("|", "\\|")
                lines.append(f"| ${to_latex(s.math)}$ | `{s.shapes}` | <code>{value}</code> | {self._check(s)} |")
            lines.append("")
        rows = self._signal_rows()
        if rows:
            lines += [f"### {self.SIGNALS_TITLE}", "", "| layer | " + " | ".join(n for _, n in self._SIGNAL_COLUMNS)
                      + " |", "|---" * (len(self._SIGNAL_COLUMNS) + 1) + "|"]
            lines += ["| " + " | ".join(r) + " |" for r in rows]
            lines.append("")
        lines.append(self.summary()[:1].upper() + self.summary()[1:] + ".")
        return "\n".join(lines) + "\n"

    def _html(self) -> str:
        rows = ['<tr><th colspan="4" class="ds-phase">Given (the parameters before the step)</th></tr>']
        for name, value in self.inputs.items():
            shown = html.escape("\n".join(_value_lines("", value, "")))
            rows.append(f"<tr><td><code>{html.escape(name)}</code></td><td><code>{_shape(value)}</code></td>"
                        f"<td><pre>{shown}</pre></td><td></td></tr>")
        for title, steps in self._sections():
            rows.append(f'<tr><th colspan="4" class="ds-phase">{html.escape(title)}</th></tr>')
            for s in steps:
                value = html.escape("\n".join(_value_lines("", s.value, "")))
                rows.append(f"<tr><td>{to_mathml(s.math)}</td><td><code>{html.escape(s.shapes)}</code></td>"
                            f"<td><pre>{value}</pre></td><td>{html.escape(self._check(s))}</td></tr>")
        signal_rows = self._signal_rows()
        signals = "" if not signal_rows else (
            f"<p><b>{html.escape(self.SIGNALS_TITLE)}</b></p><table><tr><th>layer</th>"
            + "".join(f"<th>{html.escape(n)}</th>" for _, n in self._SIGNAL_COLUMNS) + "</tr>"
            + "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in signal_rows)
            + "</table>")
        # left-aligned whatever the notebook's styles; a number never wraps; a narrow panel scrolls the table
        style = ("<style>.ds-explain{max-width:100%;overflow-x:auto}"
                 ".ds-explain table{margin:0;border-collapse:collapse}"
                 ".ds-explain td,.ds-explain th{padding:2px 8px;text-align:left!important;vertical-align:top}"
                 ".ds-explain pre{margin:0;font-size:85%;white-space:pre;text-align:left}"
                 ".ds-explain .ds-phase{background:#eef;padding-top:6px}</style>")
        return (f'<div class="ds-explain">{style}<p><b>{html.escape(self.title())}</b></p>'
                f'<table><tr><th>equation</th><th>shapes</th><th>value</th><th>finite differences</th></tr>'
                f'{"".join(rows)}</table>{signals}<p>{html.escape(self.summary())}.</p></div>')


UNCHECKABLE = ("finite differences cannot resolve the gradient there: it is below the rounding of the cost's "
               "differences, or the cost is too large or not finite")


def _verdict(error: float, difference: float, tolerance: float, noise: float, scale: float, size: float) -> str:
    """The verdict of one gradient's check.

    "ok" below the tolerance, or for a gradient that is zero within what finite differences resolve (its largest
    entry ``size`` and the differences within the rounding ``noise``, itself at most 1e-6 per unit of ``scale``:
    a dead unit's db); "n/a" where the check cannot confirm the gradient (a non-finite error, or gradient and
    differences apart by no more than the rounding noise but above the tolerance, as with a cost of 1e5 or
    1e300: a real error of that size would not show); else "doubtful" (below 1e-3) or "WRONG"."""
    if not (math.isfinite(error) and math.isfinite(difference) and math.isfinite(noise)):
        return "n/a"
    if error < tolerance:
        return "ok"
    if difference <= noise:
        return "ok" if size <= noise <= 1e-6 * scale else "n/a"
    return "doubtful" if error < 1e-3 else "WRONG"


def _g(value: float, digits: int = 4) -> str:
    """``value`` to ``digits`` significant digits, its exponent as written by hand: 3e-06 -> "3e-6", 1e+20 -> "1e20"."""
    return re.sub(r"e([+-])0*(\d)", lambda m: "e" + m.group(1).replace("+", "") + m.group(2), f"{value:.{digits}g}")


#: Four significant digits, whatever the size: a gradient of 3e-6 shows as 3e-6, not as 0. (fixed decimals would)
_SIGNIFICANT = {"float_kind": lambda v: _g(v).rjust(10)}


def _value_lines(name: str, value: Any, indent: str) -> list[str]:
    """A value in full when small, else its shape and statistics."""
    head = f"{name} = " if name else ""
    if not isinstance(value, np.ndarray):
        return [f"{indent}{head}{_g(value, 6)}"]
    if value.size <= SHOWN_IN_FULL and value.ndim == 2 and value.shape[1] == 1 and value.shape[0] > 1:
        row = np.array2string(value[:, 0], formatter=_SIGNIFICANT, max_line_width=100)
        return [f"{indent}{head}{row}^T"]  # a column (b, db) on one line, as its transpose
    if value.size <= SHOWN_IN_FULL:
        text = np.array2string(value, formatter=_SIGNIFICANT, max_line_width=100)
        return [f"{indent}{head}{line}" if k == 0 else f"{indent}{' ' * len(head)}{line}"
                for k, line in enumerate(text.splitlines())]
    v = value.astype(np.float64, copy=False)
    big = float(np.abs(v).max()) if v.size else 0.0
    mean = float((v / big).mean()) * big if big > 0 else 0.0  # scaled first: a mean of values near 1e308 is finite
    return [f"{indent}{head}shape {value.shape}: mean {_g(mean)}, min {_g(v.min())}, max {_g(v.max())}"]


def _shape(A: Any) -> str:
    return str(tuple(np.shape(A)))


def _finite_differences(J: Callable[[np.ndarray], float], point: np.ndarray, grad: np.ndarray, scale: float,
                        gen: np.random.Generator, max_checked: int) -> tuple[float, float, int, float]:
    """Relative error and largest absolute difference of ``grad`` against ``scale`` times the centered differences
    of J at ``point`` (float64), over every entry or ``max_checked`` of them drawn by ``gen``; how many; and the
    largest magnitude of the gradient's entries checked."""
    P = np.array(point, dtype=np.float64)
    flat = P.reshape(-1)
    entries = np.arange(flat.size) if flat.size <= max_checked else gen.choice(flat.size, max_checked, replace=False)
    approx = np.empty(entries.size)
    for k, i in enumerate(entries):
        saved = flat[i]
        flat[i] = saved + EPSILON
        plus = J(P)
        flat[i] = saved - EPSILON
        minus = J(P)
        flat[i] = saved
        approx[k] = scale * (plus - minus) / (2 * EPSILON)
    chosen = np.asarray(grad, dtype=np.float64).reshape(-1)[entries]
    return (_relative_error(chosen, approx), float(np.max(np.abs(chosen - approx))), int(entries.size),
            float(np.max(np.abs(chosen))))


def _optimizer(optimizer: Any) -> Optimizer:
    """A copy of the optimizer (its state and step count too) to update copies of the parameters with."""
    if isinstance(optimizer, Optimizer):
        return optimizer.copy()
    return get_optimizer("gd" if optimizer is None else optimizer)


def explain(
    net: DeepNetwork,
    X: Any,
    Y: Any,
    learning_rate: float = 0.0075,
    l2: float = 0.0,
    optimizer: str | Optimizer | None = None,
    keep_prob: float | list[float] = 1.0,
    check: bool = True,
    max_checked: int = MAX_CHECKED,
    rng: RngLike = 0,
) -> Explanation:
    """Write out one iteration of training on ``net`` over (X, Y), checking every gradient.

    Parameters
    ----------
    net : DeepNetwork
        Not changed (its standardization, if it learned one, is applied to X, as fit does).
    X : ndarray of shape (n[0], m)
    Y : ndarray of shape (n[L], m)
        Labels or targets, as :meth:`deepstep.DeepNetwork.fit` takes them.
    learning_rate : float
        alpha0 of the update (the optimizer's schedule gives this iteration's alpha).
    l2 : float
        lambda: J gains (lambda/2m) sum ||W[l]||^2 and dW[l] gains (lambda/m) W[l].
    optimizer : str or Optimizer, optional
        The update rule (default: gradient descent).  An Optimizer object is copied with its state, so the update
        shown is the next one it makes (``net.optimizer`` after a fit: the next iteration of that fit).
    keep_prob : float or list of L-1 floats
        Inverted dropout on the hidden layers, as fit does: D[l] = rand(n[l], m) < keep_prob drawn with ``rng``,
        A[l] = A[l] * D[l] / keep_prob; on the way back dA[l] = dA[l] * D[l] / keep_prob (1.0: no dropout).
    check : bool
        Compare each gradient with centered finite differences (False: no check column).
    max_checked : int
        Entries compared per gradient (a sample, drawn with ``rng``, where there are more).
    rng : int, Generator or None
        Draws the dropout masks (first), then the entries each check samples.

    Returns
    -------
    Explanation
        ``.steps`` in order: forward (Z[l], A[l], with dropout D[l] and the dropped A[l]), cost, backward
        (dZ[l], dW[l], db[l], dA[l-1], with dropout dA[l] through D[l]), update (the optimizer's equations for
        each W[l], b[l]).

    Raises
    ------
    DeepstepError
        For a bad argument (naming it), or a pass that overflows with these parameters and inputs.
    """
    from ..model.network import DeepNetwork

    if not isinstance(net, DeepNetwork):
        raise DeepstepError(f"net: expected a deepstep.DeepNetwork, got {_describe(net)}")
    alpha0 = check_learning_rate(learning_rate)
    lambd = check_l2(l2)
    max_checked = check_number(max_checked, "max_checked", low=1, integer=True)
    if not isinstance(check, (bool, np.bool_)):
        raise DeepstepError(f"check: expected True or False, got {_describe(check)}")
    opt = _optimizer(optimizer)
    gen = as_rng(rng)
    A0 = net._inputs(X)
    check_memory(explain_bytes(net.layer_dims, A0.shape[1]), "net",
                 f"one written-out iteration of a network {list(net.layer_dims)} on m = {A0.shape[1]} examples")
    m = A0.shape[1]
    Y = net._targets(Y, m)
    L, hidden, output, task = net.L, net.hidden, net.output, net.task
    W = {l: np.array(net.parameters[f"W{l}"]) for l in range(1, L + 1)}
    normalized = set(net.batch_norm)  # batch-normalized layers: gamma[l], beta[l] in place of b[l]
    if normalized and m == 1:
        raise DeepstepError("X: batch normalization needs at least 2 examples (the variance of one is 0); got m = 1")
    b = {l: np.array(net.parameters[f"b{l}"]) for l in range(1, L + 1) if l not in normalized}
    keep = check_keep_prob(keep_prob, L - 1)
    # the masks are drawn layer by layer, D[l] of A[l]'s shape (n[l], m), as model_forward draws them
    masks = [(dropout_mask(gen, (W[l].shape[0], m), keep[l - 1]), keep[l - 1]) if l < L and keep[l - 1] < 1
             else None for l in range(1, L + 1)]
    A_kept: dict[int, np.ndarray] = {}  # A[l] = g(Z[l]) before dropout, where a layer drops units
    gamma = {l: np.array(net.parameters[f"gamma{l}"]) for l in normalized}
    beta = {l: np.array(net.parameters[f"beta{l}"]) for l in normalized}
    g = {l: output if l == L else hidden for l in range(1, L + 1)}
    bn_caches: dict[int, tuple] = {}
    alpha = float(opt.learning_rate(alpha0))
    steps: list[Step | _Pending] = []
    A: dict[int, np.ndarray] = {0: A0}
    Z: dict[int, np.ndarray] = {}
    grads: dict[str, np.ndarray] = {}

    def gradient(step: Step, J: Callable[[np.ndarray], float], point: np.ndarray, grad: np.ndarray,
                 scale: float, own_sample: bool = False) -> None:
        steps.append(_Pending(step, J, point, grad, scale, own_sample) if check else step)

    def dropout_steps(l: int, A_l: np.ndarray) -> None:
        """Layer l's mask and the dropped A[l] written out (A_l: g(Z[l]) before dropout)."""
        if not masks[l - 1]:
            return
        D, p = masks[l - 1]
        A_kept[l] = A_l
        eq = f"D[{l}] = rand(n[{l}], m) < keep_prob"
        steps.append(Step("forward", l, eq, f"D[{l}] = rand ( n[{l}] , m ) < keep_prob", _shape(D),
                          D.astype(np.int8)))
        eq = f"A[{l}] = A[{l}] * D[{l}] / keep_prob"
        steps.append(Step("forward", l, eq, eq, f"{_shape(A_l)}, keep_prob = {p:g}", apply_dropout(A_l, D, p)))

    with np.errstate(over="raise", invalid="raise", divide="raise"):
        try:
            # -- forward --
            for l in range(1, L + 1):
                if l in normalized:
                    layer = BatchNorm(g[l])
                    A[l], bn_caches[l] = layer.forward({f"W{l}": W[l], f"gamma{l}": gamma[l], f"beta{l}": beta[l]},
                                                       l, A[l - 1], masks[l - 1])
                    (_, _, _), Zt, Z_norm, inv, mu, var = bn_caches[l][:6]
                    Z[l] = W[l] @ A[l - 1]
                    A_l = g[l].g(Zt) if masks[l - 1] else A[l]
                    eqs, forms = layer.equations(l), layer.formulas(l)
                    for key, value, shape in (("Z", Z[l], f"{_shape(Z[l])} = {_shape(W[l])} {_shape(A[l - 1])}"),
                                              ("mu", mu, _shape(mu)), ("sigma2", var, _shape(var)),
                                              ("Z_norm", Z_norm, f"{_shape(Z_norm)}, epsilon = {_g(layer.epsilon)}"),
                                              ("Zt", Zt, _shape(Zt)),
                                              ("A", A_l, _shape(A_l))):
                        steps.append(Step("forward", l, eqs[key], forms[key], shape, value.copy()))
                    dropout_steps(l, A_l)
                    continue
                Z[l] = linear(W[l], A[l - 1], b[l])
                A[l] = g[l].g(Z[l])
                eq = f"Z[{l}] = W[{l}] A[{l - 1}] + b[{l}]"
                steps.append(Step("forward", l, eq, eq, f"{_shape(Z[l])} = {_shape(W[l])} {_shape(A[l - 1])} + "
                                  f"{_shape(b[l])}", Z[l].copy()))
                text, math = g[l].equation(f"Z[{l}]")
                steps.append(Step("forward", l, f"A[{l}] = {text}", f"A[{l}] = {math}", _shape(A[l]), A[l].copy()))
                if masks[l - 1]:
                    dropout_steps(l, A[l])
                    A[l] = apply_dropout(A[l], *masks[l - 1])
            # -- cost --
            J = task.cost(A[L], Y)
            if lambd:
                J += l2_cost([squared_norm(W[l]) for l in range(1, L + 1)], lambd, m)
            text, math = _cost_equation(task.name, output.base, L)
            if lambd:
                text += " + (lambda/2m) sum_l ||W[l]||^2"
                math += " + (lambda/2m) sum_l || W[l] || ^2"
            steps.append(Step("cost", None, text, math, "scalar", float(J)))
            # -- backward: the step functions' own traversal, each step then written out --
            if output.name == "sigmoid":  # dA[L] = dL/dA[L] per example, the cross-entropy's, before g'
                with np.errstate(divide="ignore", invalid="ignore"):
                    dAL = -(Y / A[L] - (1 - Y) / (1 - A[L]))
                if np.isfinite(dAL).all():
                    eq = f"dA[{L}] = -(Y / A[{L}] - (1 - Y) / (1 - A[{L}]))"
                    gradient(Step("backward", L, eq, f"dA[{L}] = - ( Y / A[{L}] - ( 1 - Y ) / ( 1 - A[{L}] ) )",
                                  _shape(dAL), dAL.copy()), lambda P: cost(np.asarray(P, dtype=np.float64), {}),
                             A[L], dAL, m, own_sample=True)
            if output.name == "linear":  # the squared error's: J = (1/2m) sum (A[L] - Y)^2, so m dJ/dA[L] = A[L] - Y
                dAL = A[L] - Y
                eq = f"dA[{L}] = A[{L}] - Y"
                gradient(Step("backward", L, eq, eq, _shape(dAL), dAL.copy()),
                         lambda P: cost(np.asarray(P, dtype=np.float64), {}), A[L], dAL, m, own_sample=True)
            dZL = output_delta(A[L], Y)
            caches = [bn_caches[l] if l in normalized else
                      ((A[l - 1], W[l], b[l]), Z[l], *([masks[l - 1]] if masks[l - 1] else []))
                      for l in range(1, L + 1)]
            grads = backward_from_dZL(dZL, caches, hidden, lambd, keep_dZ=True)
            gradient(Step("backward", L, f"dZ[{L}] = A[{L}] - Y", f"dZ[{L}] = A[{L}] - Y", _shape(dZL), dZL.copy()),
                     lambda P: cost_from_Z(P, L), Z[L], dZL, m)
            for l in range(L, 0, -1):
                dZ, dW = grads[f"dZ{l}"], grads[f"dW{l}"]
                if masks[l - 1]:  # dA[l] through the mask A[l] went through: J as a function of A[l] before dropout
                    D, p = masks[l - 1]
                    dA_kept = apply_dropout(grads[f"dA{l}"], D, p)
                    eq = f"dA[{l}] = dA[{l}] * D[{l}] / keep_prob"
                    gradient(Step("backward", l, eq, eq, _shape(dA_kept), dA_kept),
                             lambda P, l=l, D=D, p=p: cost_from_A(apply_dropout(P, D, p), l + 1), A_kept[l], dA_kept, m)
                if l in normalized:
                    eqs, forms = BatchNorm(g[l]).equations(l), BatchNorm(g[l]).formulas(l)
                    Zt_l = bn_caches[l][1]  # dZ~[l] = dA[l] * g'(Z~[l]): J as a function of Z~[l]
                    dA_l = grads[f"dA{l}"] if not masks[l - 1] else apply_dropout(grads[f"dA{l}"], *masks[l - 1])
                    dZt = g[l].backward(dA_l, Zt_l)
                    gradient(Step("backward", l, eqs["dZt"], forms["dZt"], _shape(dZt), dZt),
                             lambda P, l=l: cost_from_A(apply_dropout(g[l].g(P), *masks[l - 1]) if masks[l - 1]
                                                        else g[l].g(P), l + 1), Zt_l, dZt, m)
                    for key, P, at in (("dgamma", gamma[l], "gamma_at"), ("dbeta", beta[l], "beta_at")):
                        G = grads[f"d{key[1:]}{l}"]
                        gradient(Step("backward", l, eqs[key], forms[key], _shape(G), G.copy()),
                                 lambda Q, l=l, at=at: cost_from_A(A[l - 1], l, **{at: {l: Q}}), P, G, 1.0)
                    gradient(Step("backward", l, eqs["dZ"], forms["dZ"], _shape(dZ), dZ.copy()),
                             lambda P, l=l: cost_from_Z(P, l), Z[l], dZ, m)
                if l < L and l not in normalized:
                    dg_text, dg_math = g[l].derivative_equation(l)
                    gradient(Step("backward", l, f"dZ[{l}] = dA[{l}] * {dg_text}", f"dZ[{l}] = dA[{l}] * {dg_math}",
                                  _shape(dZ), dZ.copy()), lambda P, l=l: cost_from_Z(P, l), Z[l], dZ, m)
                reg = f" + (lambda/m) W[{l}]" if lambd else ""
                gradient(Step("backward", l, f"dW[{l}] = (1/m) dZ[{l}] A[{l - 1}]^T{reg}",
                              f"dW[{l}] = (1/m) dZ[{l}] A[{l - 1}]^T{reg}",
                              f"{_shape(dW)} = {_shape(dZ)} {_shape(A[l - 1].T)}", dW.copy()),
                         lambda P, l=l: cost_from_A(A[l - 1], l, W_at={l: P}), W[l], dW, 1.0)
                if l not in normalized:
                    db = grads[f"db{l}"]
                    gradient(Step("backward", l, f"db[{l}] = (1/m) sum(dZ[{l}], axis=1, keepdims=True)",
                                  f"db[{l}] = (1/m) sum_j dZ[{l}]", _shape(db), db.copy()),
                             lambda P, l=l: cost_from_A(A[l - 1], l, b_at={l: P}), b[l], db, 1.0)
                if l > 1:
                    dA_prev = grads[f"dA{l - 1}"]
                    gradient(Step("backward", l, f"dA[{l - 1}] = W[{l}]^T dZ[{l}]", f"dA[{l - 1}] = W[{l}]^T dZ[{l}]",
                                  f"{_shape(dA_prev)} = {_shape(W[l].T)} {_shape(dZ)}", dA_prev.copy()),
                             lambda P, l=l: cost_from_A(P, l), A[l - 1], dA_prev, m)
            # -- update: the optimizer's own step, on copies --
            new = {k: np.array(P) for k, P in _layer_parameters(W, b, gamma, beta, L).items()}
            opt.init_state(new)
            opt.step(new, {f"d{k}": np.array(grads[f"d{k}"]) for k in new}, alpha)
            after = new
            for l in range(1, L + 1):
                for name in (("W", "gamma", "beta") if l in normalized else ("W", "b")):
                    key = f"{name}{l}"
                    for slot, template in opt.equations:
                        math = template.format(P=f"{name}[{l}]")
                        value = new[key] if slot == "P" else opt.state[slot]["d" + key]
                        steps.append(Step("update", l, plain(math), math, _shape(value), np.array(value)))
            # batch normalization's running averages, what prediction normalizes with: the layer's own update
            running = {k: np.array(v) for k, v in net.layer_state.items()}
            for l in sorted(normalized):
                mu_l, var_l = bn_caches[l][4], bn_caches[l][5]
                layer = BatchNorm(g[l])
                layer.update_running(running, l, mu_l, var_l)
                a, c = _g(layer.momentum), _g(1 - layer.momentum)
                for key, batch in (("running_mean", "mu"), ("running_var", "sigma2")):
                    math = f"{key}[{l}] := {a} {key}[{l}] + {c} {batch}[{l}]"
                    text = f"{key}[{l}] := {a} {key}[{l}] + {c} {'mu' if batch == 'mu' else 'sigma^2'}"
                    steps.append(Step("update", l, text, math, _shape(running[f"{key}{l}"]),
                                      running[f"{key}{l}"].copy()))
        except FloatingPointError:
            raise DeepstepError("X: the forward or backward pass overflows with these parameters and inputs; "
                                "scale X (or standardize it)") from None

    Y64 = Y.astype(np.float64)

    def cost_from_A(A_prev: np.ndarray, start: int, W_at: dict | None = None, b_at: dict | None = None,
                    gamma_at: dict | None = None, beta_at: dict | None = None) -> float:
        """J (float64) with the layers from ``start`` on run again from A[start-1] = A_prev (and W[start], b[start],
        gamma[start] or beta[start] replaced; batch-normalized layers with the batch's statistics)."""
        W_at = W_at or {}
        A_L = forward_layers(np.asarray(A_prev, dtype=np.float64), params64(start, W_at, b_at, gamma_at, beta_at),
                             hidden, output, start, masks=masks)
        return cost(A_L, W_at)

    def cost_from_Z(Z_l: np.ndarray, l: int) -> float:
        A_L = forward_layers(None, params64(l, {}), hidden, output, l, Z_start=np.asarray(Z_l, dtype=np.float64),
                             masks=masks)
        return cost(A_L, {})

    def params64(start: int, W_at: dict, b_at: dict | None = None, gamma_at: dict | None = None,
                 beta_at: dict | None = None) -> dict[str, np.ndarray]:
        """Every parameter (or the ones given in their place) in float64 for the layers from ``start`` on."""
        given = _layer_parameters({**W, **W_at}, {**b, **(b_at or {})}, {**gamma, **(gamma_at or {})},
                                  {**beta, **(beta_at or {})}, L)
        return {key: (P.astype(np.float64, copy=False) if int(re.sub(r"\D", "", key)) >= start else P)
                for key, P in given.items()}

    def cost(AL: np.ndarray, W_at: dict) -> float:
        J = task.cost(AL, Y64)
        if lambd:
            J += l2_cost([squared_norm(W_at.get(k, W[k]).astype(np.float64)) for k in range(1, L + 1)], lambd, m)
        return J

    note = ""
    if check and task.is_classification:
        tiny, top = np.finfo(np.float64).tiny, 1 - np.finfo(np.float64).epsneg
        A_top = g[L].g(Z[L].astype(np.float64))
        if (A_top <= tiny).any() or (A_top >= top).any():
            note = ("the gradients could not be checked: A[L] reaches 0 or 1 here, where the cost is clipped (so "
                    "finite differences of J see no slope); scale the inputs or the weights down")
    tolerance = max(1e-7, 100 * float(np.finfo(net.dtype).eps))
    noise = 1e-9 * max(1.0, abs(float(J)))  # what rounding leaves of J(P + eps) - J(P - eps), over 2 eps
    done: list[Step] = []
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # a non-finite check shows as nan
        for item in steps:
            if isinstance(item, _Pending):
                if note:
                    item = Step(**{**item.step.__dict__, "verdict": "n/a"})
                else:
                    # (a step's own generator where it has one: its sample leaves the others' as they were)
                    draw = np.random.default_rng([max_checked, item.grad.size]) if item.own_sample else gen
                    error, difference, n, size = _finite_differences(item.J, item.point, item.grad, item.scale,
                                                                     draw, max_checked)
                    item = Step(**{**item.step.__dict__, "check": error, "checked": n,
                                   "verdict": _verdict(error, difference, tolerance, noise * item.scale,
                                                       item.scale, size)})
            done.append(item)
    name = "gradient descent" if opt.name == "gd" and opt.schedule.name == "constant" else repr(opt)
    given: dict[str, Any] = {"X = A[0]": A0, "Y": Y}  # and the parameters before the step
    if A0.size > SHOWN_IN_FULL:  # summarized: a corner of X and Y's first columns beside, in full
        rows = min(A0.shape[0], 4)
        cols = min(m, 8, max(1, SHOWN_IN_FULL // rows))
        given[f"X[:{rows}, :{cols}]" if rows < A0.shape[0] else f"X[:, :{cols}]"] = A0[:rows, :cols]
        given[f"Y[:, :{cols}]"] = Y[:, :cols]
    for key, P in _layer_parameters(W, b, gamma, beta, L).items():
        letters = key.rstrip("0123456789")
        given[f"{letters}[{key[len(letters):]}]"] = P
    before = _layer_parameters(W, b, gamma, beta, L)  # (the update: this step's, the optimizer's own above)
    signals = layer_signals(before, net.hidden, net.output, A0, Y, after, state=net.layer_state)
    return Explanation(done, list(net.layer_dims), net.hidden_activation, net.output_activation, m, alpha, lambd,
                       float(J), name, given, note, keep, signals)


def _layer_parameters(W: dict, b: dict, gamma: dict, beta: dict, L: int) -> dict[str, np.ndarray]:
    """The parameters by key, layer by layer: W[l] and b[l], or W[l], gamma[l], beta[l] where batch-normalized."""
    out = {}
    for l in range(1, L + 1):
        out[f"W{l}"] = W[l]
        if l in gamma:
            out[f"gamma{l}"], out[f"beta{l}"] = gamma[l], beta[l]
        else:
            out[f"b{l}"] = b[l]
    return out


@dataclass
class _Pending:
    """A gradient step whose finite-difference check runs once the cost functions exist."""

    step: Step
    J: Callable[[np.ndarray], float]
    point: np.ndarray
    grad: np.ndarray
    scale: float
    own_sample: bool = False
