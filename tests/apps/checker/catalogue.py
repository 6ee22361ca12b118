"""The checker's detection rate and false alarms on the collection of learners' implementations (learners.py).

Run ``python tests/apps/checker/catalogue.py`` (from the repository) for the table the README quotes; the tests
(test_catalogue.py) assert the same, function by function.
"""

from __future__ import annotations

import sys
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import learners  # noqa: E402

from deepstep.apps.checker import harness  # noqa: E402


@contextmanager
def helper_modules():
    """The course's helper modules stood in, for an in-process check (the child process does this itself)."""
    names = list(harness.HELPERS) + list(harness.STAND_INS)
    saved = {n: sys.modules.get(n) for n in names}
    harness.install_helpers()
    try:
        yield
    finally:
        for n, m in saved.items():
            if m is None:
                sys.modules.pop(n, None)
            else:
                sys.modules[n] = m


def verdict(assignment: str, name: str, code: str) -> dict:
    """The check of ``name`` in the assignment's right file with ``code`` in place of its function."""
    text = learners.RIGHT[assignment] + "\nimport math\nimport copy\n" + code
    source = harness.Source(f"<{assignment}:{name}>", text)
    with helper_modules():
        ns, defined, problems = harness.load_namespace(source, assignment)
        assert not problems, problems
        return harness.check_one(name, ns, [assignment], assignment, source).as_dict()


def measure_right(assignment: str) -> tuple[list[str], list[tuple[str, str, dict]]]:
    """Every function of the assignment's right file, checked: (names defined, results)."""
    source = harness.Source(f"<{assignment}>", learners.RIGHT[assignment])
    with helper_modules():
        ns, defined, _ = harness.load_namespace(source, assignment)
        results = [(n, harness.check_one(n, ns, [assignment], assignment, source)) for n in defined]
        return defined, [(assignment, n, r.as_dict()) for n, r in results if r is not None]


def measure() -> tuple[list[tuple[str, str, str, dict]], list[tuple[str, str, dict]]]:
    broken = [(kind, a, name, verdict(a, name, code)) for kind, a, name, code in learners.BROKEN]
    right = [(a, name, verdict(a, name, code)) for a, name, code in learners.VARIANTS]
    for a in learners.RIGHT:
        right += measure_right(a)[1]
    return broken, right


def main() -> None:
    broken, right = measure()
    found = Counter(kind for kind, _, _, r in broken if r["mistake"] == kind)
    total = Counter(kind for kind, *_ in broken)
    print(f"{'mistake kind':<24} diagnosed")
    for kind in sorted(total):
        print(f"{kind:<24} {found[kind]} of {total[kind]}")
    print(f"{'all':<24} {sum(found.values())} of {len(broken)} broken implementations diagnosed with their kind")
    alarms = [(a, n, r) for a, n, r in right if r["status"] != "pass"]
    print(f"false alarms: {len(alarms)} of {len(right)} correct implementations")
    for kind, a, name, r in broken:
        if r["mistake"] != kind:
            print(f"  missed: {a}.{name} ({kind}) -> {r['status']} {r['mistake']}: {r['message'][:150]}")
    for a, n, r in alarms:
        print(f"  false alarm: {a}.{n}: {r['message'][:200]}")


if __name__ == "__main__":
    main()
