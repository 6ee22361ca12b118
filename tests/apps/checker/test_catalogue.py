"""The checker names each deliberately broken implementation's mistake, and passes every correct one (written with
loops, other formulas, float32, new dicts instead of updates)."""

import catalogue
import learners
import pytest

from deepstep.apps.checker import MISTAKES

BROKEN_IDS = [f"{kind}-{a}.{name}-{i}" for i, (kind, a, name, _) in enumerate(learners.BROKEN)]


def test_the_collection_holds_five_broken_implementations_of_every_kind_and_twenty_right_ones():
    kinds = [kind for kind, *_ in learners.BROKEN]
    assert set(kinds) == set(MISTAKES)
    assert min(kinds.count(k) for k in MISTAKES) >= 5
    assert len(learners.VARIANTS) >= 20


@pytest.mark.parametrize(("kind", "assignment", "name", "code"), learners.BROKEN, ids=BROKEN_IDS)
def test_a_broken_implementation_is_diagnosed_with_its_kind(kind, assignment, name, code):
    result = catalogue.verdict(assignment, name, code)
    assert result["status"] == "fail"
    assert result["mistake"] == kind, result["message"]
    assert result["message"]  # the first quantity that differs, or the argument changed


@pytest.mark.parametrize(("assignment", "name", "code"), learners.VARIANTS,
                         ids=[f"{a}.{n}-{i}" for i, (a, n, _) in enumerate(learners.VARIANTS)])
def test_a_correct_implementation_written_otherwise_passes(assignment, name, code):
    result = catalogue.verdict(assignment, name, code)
    assert result["status"] == "pass", result["message"]


@pytest.mark.parametrize("assignment", sorted(learners.RIGHT))
def test_every_function_of_a_right_solution_passes(assignment):
    _, right = catalogue.measure_right(assignment)
    assert right and all(r["status"] == "pass" for _, _, r in right), [r["message"] for *_, r in right]
