"""Award cycles: categories and eligibility, nominations and the nominee's confirmation, blind
judging, results and the announcement of winners (issue 16, part B)."""
