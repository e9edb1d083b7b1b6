"""The budget table itself: every row well formed and checked by a test, every check on a row."""
from __future__ import annotations

import re
from pathlib import Path

from tests.unit.budgets.conftest import TABLE, TABLE_PATH, load_table

HERE = Path(__file__).parent
CHECK = re.compile(r"""budget\.check\(\s*["']([\w.]+)["']""")


def checked_ids() -> set[str]:
    return {m for path in HERE.glob("test_*.py") for m in CHECK.findall(path.read_text(encoding="utf-8"))}


def test_every_row_is_well_formed_and_unique():
    text = TABLE_PATH.read_text(encoding="utf-8")
    assert len(TABLE) == text.count("[[budget]]")
    for row_id, row in load_table().items():
        assert set(row) == {"id", "operation", "commands", "why"}, row_id
        assert re.fullmatch(r"[a-z]+\.[a-z0-9_]+", row_id), row_id
        assert isinstance(row["commands"], (int, float)) and row["commands"] > 0, row_id
        assert row["why"].strip() and row["operation"].strip(), row_id


def test_every_row_is_checked_by_a_test_and_every_check_names_a_row():
    checked = checked_ids()
    assert set(TABLE) - checked == set(), "rows no test checks"
    assert checked - set(TABLE) == set(), "checks of rows the table lacks"
