"""PLACEHOLDER until the ledger's own rules arrive (issue 16, part A, another change): only the
names the cycles feature reads, the rules versions and the standings categories."""
from __future__ import annotations

CATEGORIES = ("mentoring", "ambassador", "volunteering", "participation")
# Every point counts in ``overall``; the others are the rules table's categories.
STANDINGS_CATEGORIES = ("overall", *CATEGORIES)
RULESETS: dict[str, tuple] = {"2026.1": ()}
CURRENT = "2026.1"
