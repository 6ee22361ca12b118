"""A sweep's settings: the ones it varies (:data:`SETTINGS`) and their defaults (:data:`DEFAULTS`), the checks of a
grid and of each value (the settings table's checks, reworded to name the grid's key and position), and what makes a
run itself: the canonical JSON of its settings (:func:`settings_key`) and the seed drawn from it (:func:`run_seed`)."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...errors import DeepstepError, _describe
from ...training.settings import SETTINGS as TABLE_ROWS
from ...training.settings import sweep_columns, sweep_defaults

CHOOSING_FRACTION = 0.2
"""The share of the training examples a sweep holds out to choose the best run on, when it is given no validation
data (``sweep(hold_out=...)``, ``deepstep sweep --validation-fraction``)."""

SETTINGS = sweep_columns()
"""The settings a sweep varies, in the order of the table's columns (:data:`deepstep.training.settings.TABLE`)."""

DEFAULTS: dict[str, Any] = sweep_defaults()
"""The value of each setting neither the grid nor ``fixed`` gives (the table's defaults: those of DeepNetwork and
fit; one hidden layer of 16 units)."""


@dataclass(frozen=True)
class Range:
    """A number drawn at random for each run (random search, Course 2 week 3), reproducibly from the sweep's seed:

    * ``"log"``: ``10**r`` with r uniform in [log10(low), log10(high)] (the course's ``r = -4 * rand()``,
      ``alpha = 10**r`` is ``Range(1e-4, 1, "log")``);
    * ``"lin"``: uniform in [low, high];
    * ``"1-log"``: ``1 - 10**r`` with r uniform in [log10(low), log10(high)]: the course's way to draw a beta near
      1 (``Range(1e-3, 1e-1, "1-log")`` draws beta in [0.9, 0.999], as finely near 0.999 as near 0.9).

    On the command line: ``log:1e-4..1``, ``lin:0.9..0.999``, ``1-log:1e-3..1e-1``.

    >>> import numpy as np
    >>> r = Range.parse("log:1e-4..1")
    >>> r, 1e-4 <= r.draw(np.random.default_rng(0)) <= 1
    (Range(low=0.0001, high=1.0, scale='log'), True)
    """

    low: float
    high: float
    scale: str

    SCALES = ("log", "lin", "1-log")

    def __post_init__(self) -> None:
        for end in (self.low, self.high):
            if isinstance(end, bool) or not isinstance(end, (int, float, np.integer, np.floating)):
                raise DeepstepError(f"range: expected numbers low < high, got {self.low!r}..{self.high!r}")
        if self.scale not in self.SCALES:
            raise DeepstepError(f"scale: expected one of {list(self.SCALES)}, got {self.scale!r}")
        if not (math.isfinite(self.low) and math.isfinite(self.high) and self.low < self.high):
            raise DeepstepError(f"range: expected finite low < high, got {self.low!r}..{self.high!r}")
        if self.scale != "lin" and self.low <= 0:
            raise DeepstepError(f"range: a {self.scale} scale needs low > 0, got {self.low!r}")

    @classmethod
    def parse(cls, text: str) -> Range | None:
        """``SCALE:LOW..HIGH`` as a Range; None where ``text`` is not one (a plain value)."""
        scale, sep, rest = text.partition(":")
        if not sep or scale not in cls.SCALES:
            return None
        low, sep, high = rest.partition("..")
        if not sep or high.startswith("."):  # (log:1e-4...1 is not 1e-4..0.1)
            raise DeepstepError(f"range: expected {scale}:LOW..HIGH, got {text!r}")
        try:
            ends = float(low), float(high)
        except ValueError:
            raise DeepstepError(f"range: expected numbers in {scale}:LOW..HIGH, got {text!r}") from None
        return cls(*ends, scale)

    def endpoints(self) -> tuple[float, float]:
        """The least and the greatest value it draws."""
        return (1 - self.high, 1 - self.low) if self.scale == "1-log" else (self.low, self.high)

    def draw(self, gen: np.random.Generator) -> float:
        if self.scale == "lin":
            return float(gen.uniform(self.low, self.high))
        r = gen.uniform(math.log10(self.low), math.log10(self.high))
        return float(10**r) if self.scale == "log" else float(1 - 10**r)

    def __str__(self) -> str:
        return f"{self.scale}:{self.low:g}..{self.high:g}"


def check_range(key: str, value: Range, where: str) -> Range:
    """A Range of a number setting whose every value the setting takes (both ends checked)."""
    row = TABLE_ROWS.get(key)
    if row is None or row.kind is not float:
        raise DeepstepError(f"{where}: a range draws numbers; {key!r} is not a number setting")
    for end in value.endpoints():
        check_setting(key, end, where)
    return value


# -- settings --------------------------------------------------------------------------------------------
def _reworded(exc: DeepstepError, where: str) -> DeepstepError:
    """``exc`` ("name: expected ..., got ...") as the same complaint about ``where``."""
    text = str(exc)
    head, sep, rest = text.partition(": ")
    return DeepstepError(f"{where}: {rest if sep and ' ' not in head else text}")


def _check_key(key: Any, where: str) -> None:
    if not isinstance(key, str) or key not in SETTINGS:
        raise DeepstepError(f"{where}: unknown setting {key!r}; expected one of {list(SETTINGS)}")


def check_setting(key: Any, value: Any, where: str) -> Any:
    """``value`` of setting ``key`` in its canonical form (the one hashed by :func:`settings_key`), or a
    DeepstepError naming ``where`` (such as "grid['learning_rate'][2]")."""
    _check_key(key, where)
    try:
        return TABLE_ROWS[key].check(value)  # the table's check (its bounds: errors.check_number)
    except DeepstepError as exc:
        raise _reworded(exc, where) from None


def _check_grid(grid: Any, fixed: Any) -> tuple[dict[str, list], dict[str, Any]]:
    """The grid's lists and the fixed settings, checked and canonical (grid keys in the order given)."""
    if fixed is None:
        fixed = {}
    if not isinstance(fixed, Mapping):
        raise DeepstepError(f"fixed: expected a dict of settings, got {_describe(fixed)}")
    if grid is None:
        grid = {}
    if not isinstance(grid, Mapping):
        raise DeepstepError(f"grid: expected a dict of setting -> list of values, got {_describe(grid)}")
    lists: dict[str, list] = {}
    for key, values in grid.items():
        _check_key(key, f"grid[{key!r}]")
        if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, (Sequence, np.ndarray, range)):
            raise DeepstepError(f"grid[{key!r}]: expected a list of values, got {_describe(values)}; "
                                "give a single value in fixed")
        if len(values) == 0:
            raise DeepstepError(f"grid[{key!r}]: expected a non-empty list of values, got an empty one")
        checked = [check_range(key, v, f"grid[{key!r}][{i}]") if isinstance(v, Range)
                   else check_setting(key, v, f"grid[{key!r}][{i}]") for i, v in enumerate(values)]
        seen: set = set()
        for i, v in enumerate(checked):  # (canonical values are hashable: numbers, strings, tuples, None)
            if v in seen:
                raise DeepstepError(f"grid[{key!r}][{i}]: {v!r} is already in the list (the run would be the same)")
            seen.add(v)
        lists[key] = checked
    settled = {}
    for key, value in fixed.items():
        settled[key] = check_setting(key, value, f"fixed[{key!r}]")
        if key in lists:
            raise DeepstepError(f"fixed[{key!r}]: is in grid too; give it in one of them")
    return lists, settled


def settings_key(settings: Mapping[str, Any]) -> str:
    """The canonical JSON of a run's settings: sorted keys, no spaces, tuples as lists, floats as repr.

    >>> settings_key({"learning_rate": 0.5, "hidden": (4,)})
    '{"hidden":[4],"learning_rate":0.5}'
    """
    return json.dumps(dict(settings), sort_keys=True, separators=(",", ":"), allow_nan=False)


def run_seed(seed: int, settings: Mapping[str, Any]) -> np.random.SeedSequence:
    """The seed of one run: ``SeedSequence([seed, w0, ..., w7])`` where w0..w7 are the SHA-256 digest of
    :func:`settings_key` of the settings that differ from :data:`DEFAULTS` (the resolved output activation
    among them) read as 8 little-endian uint32 words.  Each run's network gets
    ``np.random.default_rng(run_seed(...))``.  (Settings at their defaults are left out so that a setting added
    in a later version, at its default, seeds every run as before.)

    >>> run_seed(1, {"hidden": (4,)}).entropy[:1]
    [1]
    >>> run_seed(1, {"hidden": (4,), "l2": 0.0}).entropy == run_seed(1, {"hidden": (4,)}).entropy
    True
    """
    own = {k: v for k, v in settings.items()
           if k not in DEFAULTS or settings_key({k: v}) != settings_key({k: DEFAULTS[k]})}
    digest = hashlib.sha256(settings_key(own).encode()).digest()
    return np.random.SeedSequence([seed, *(int(w) for w in np.frombuffer(digest, dtype="<u4"))])
