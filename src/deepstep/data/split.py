"""The one rule for holding examples out (a test split of a file, the validation split of a fit, the sweep's and the
command line's validation split): round(fraction * count) examples of each class, drawn at random.

:func:`validation_split` is the validation hold-out of every entry point (``fit(validation_fraction=...)`` and so
the estimators' early stopping, ``deepstep train --validation-fraction``, ``deepstep sweep``, the playground):
the same labels, fraction and seed hold out the same examples everywhere.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import DeepstepError

__all__ = ["VALIDATION_RULE", "stratified_split", "validation_split"]

VALIDATION_RULE = 2
"""The version of :func:`validation_split`'s rule, kept in a command-line model's metadata (deepstep 0.2's
command line drew from ``default_rng([seed, 1])``: rule 1), so that ``--resume`` holds out the same examples as the
run it continues, whichever version wrote it."""


def stratified_split(labels: np.ndarray, fraction: float, rng: Any) -> np.ndarray:
    """A boolean mask of the examples held out: round(fraction * count) drawn at random from each class."""
    held = np.zeros(labels.shape[0], dtype=bool)
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        held[idx[rng.permutation(idx.size)[: round(fraction * idx.size)]]] = True
    return held


def validation_split(groups: np.ndarray, fraction: float, seed: int, name: str = "validation_fraction",
                     rule: int = VALIDATION_RULE) -> np.ndarray:
    """The examples held out for validation: :func:`stratified_split` of ``groups`` drawn with
    ``np.random.default_rng(seed)``.

    The one rule: ``fit(validation_fraction=f)`` (seed :data:`deepstep.training.VALIDATION_SPLIT_SEED`, 0, as
    deepstep 0.2's fit, so that its model files resume bit for bit), and so the estimators' early stopping;
    ``deepstep train --validation-fraction f --seed S`` and ``deepstep sweep`` (seed S); the playground (its
    seed).  The same labels, fraction and seed hold out the same examples everywhere: ``fit`` holds out what
    ``--seed 0`` holds out.  (deepstep 0.2's command line, sweep and playground drew from ``default_rng([S, 1])``.)

    Parameters
    ----------
    groups : ndarray of shape (m,)
        Each example's class index (a classifier), or one group for all (regression: ``np.zeros(m)``).
    fraction : float
        The share held out, 0 < fraction < 1 (checked by the caller).
    seed : int
        The run's seed (``fit`` has none and uses :data:`deepstep.training.VALIDATION_SPLIT_SEED`, 0).
    name : str
        How the caller names the fraction, for the message.
    rule : int
        :data:`VALIDATION_RULE` (2); 1 draws as deepstep 0.2's command line did, ``default_rng([seed, 1])``: what a
        model file of 0.2 that held out validation examples is resumed with, so that it validates on the same ones.

    Returns
    -------
    ndarray of bool, shape (m,)
        True for the examples held out.

    Raises
    ------
    DeepstepError
        Naming ``name`` when the fraction leaves no validation or no training examples.
    """
    if rule not in (1, 2):
        raise DeepstepError(f"rule: expected 1 or 2, got {rule!r}")
    held = stratified_split(groups, fraction, np.random.default_rng(seed if rule == 2 else [seed, 1]))
    if not held.any() or held.all():
        raise DeepstepError(f"{name}: {fraction:g} of m = {held.size} examples leaves no validation or no training "
                            "examples")
    return held
