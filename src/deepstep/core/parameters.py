"""The network's parameters: a mapping "W1", "b1", ..., "WL", "bL" -> ndarray.

It behaves like a dict.  During a run, ``parameters[key]`` is the array the run
updates in place (a callback may read it or write into it); when the run ends the
values go back into the network's own arrays, which keep their identity.  While a
run trains the first layer in its Gram form (:mod:`deepstep.gram`), W[1] is not
kept as a matrix; the run marks it *pending*, and the first read of
``parameters["W1"]`` (by a callback, a checkpoint, ``predict``) forms it.  So
nobody ever reads a stale W[1], and a run that nobody looks at never pays for
forming it.  (A write into the formed W[1] does not reach the Gram form: to change
W[1] during a run, train with ``method="plain"``.)

Examples
--------
>>> import numpy as np
>>> from deepstep.parameters import Parameters
>>> p = Parameters({"W1": np.ones((1, 2)), "b1": np.zeros((1, 1))})
>>> sorted(p), p["W1"].shape
(['W1', 'b1'], (1, 2))
>>> p.pending("W1", lambda: np.full((1, 2), 7.0))
>>> p["W1"]
array([[7., 7.]])
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping

import numpy as np

__all__ = ["Parameters"]


class Parameters(MutableMapping):
    """"W{l}" (n[l], n[l-1]) and "b{l}" (n[l], 1), with W[1] formed on first read while pending."""

    def __init__(self, arrays: dict[str, np.ndarray] | None = None) -> None:
        self._arrays: dict[str, np.ndarray] = dict(arrays or {})
        self._pending: dict[str, Callable[[], np.ndarray]] = {}
        self._live: dict[str, np.ndarray] = {}

    def go_live(self, views: dict[str, np.ndarray]) -> None:
        """While a run trains on ``views`` (same shapes), hand them out: a read sees, and a write changes,
        what training updates.  :meth:`end_live` copies them back into the network's own arrays."""
        self._live = dict(views)

    def end_live(self) -> None:
        live, self._live = self._live, {}
        for key, view in live.items():
            np.copyto(self._arrays[key], view)

    def pending(self, key: str, form: Callable[[], np.ndarray]) -> None:
        """Mark ``key`` stale: its array is refreshed in place from ``form()`` when next read."""
        self._pending[key] = form

    def pending_many(self, forms: dict[str, Callable[[], np.ndarray]]) -> None:
        """:meth:`pending` for several keys at once."""
        self._pending.update(forms)

    def settle(self) -> None:
        """Form every pending array now."""
        for key in list(self._pending):
            self[key]

    def __getitem__(self, key: str) -> np.ndarray:
        if key in self._live:
            return self._live[key]
        form = self._pending.pop(key, None)
        if form is not None:
            np.copyto(self._arrays[key], form())
        return self._arrays[key]

    def __setitem__(self, key: str, value: np.ndarray) -> None:
        self._pending.pop(key, None)
        if key in self._live:  # during a run: the new values go into what training updates
            np.copyto(self._live[key], value)
            return
        self._arrays[key] = value

    def __delitem__(self, key: str) -> None:
        self._pending.pop(key, None)
        del self._arrays[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._arrays)

    def __len__(self) -> int:
        return len(self._arrays)

    def __repr__(self) -> str:
        shapes = ", ".join(f"{k!r}: {v.shape}" for k, v in self._arrays.items())
        return f"Parameters({{{shapes}}})"

    def copy(self) -> dict[str, np.ndarray]:
        """A plain dict of copies of every array."""
        return {k: v.copy() for k, v in self.items()}
