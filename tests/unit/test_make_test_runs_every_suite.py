"""`make test` runs the suites in two groups (tests/run_all.sh: PARALLEL_TESTS under
pytest-xdist, SERIAL_TESTS one at a time): a new folder of tests must be in one of them, or it
never runs."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _listed(name: str) -> set[str]:
    script = (ROOT / "tests" / "run_all.sh").read_text()
    return set(re.search(rf"^{name}=\((.+)\)$", script, re.M).group(1).split())


def test_every_folder_of_tests_is_in_one_group_of_make_test():
    folders = {f"tests/{path.parent.relative_to(ROOT / 'tests').parts[0]}"
               for path in (ROOT / "tests").rglob("test_*.py") if path.parent != ROOT / "tests"}
    parallel, serial = _listed("PARALLEL_TESTS"), _listed("SERIAL_TESTS")
    assert parallel.isdisjoint(serial)
    assert folders == parallel | serial
