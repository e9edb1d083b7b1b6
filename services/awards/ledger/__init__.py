"""The engagement ledger: points credited from other services' activity events, standings per
award cycle and category (issue 16, part A)."""
