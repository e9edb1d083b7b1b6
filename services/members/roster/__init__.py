"""The alumni roster: the university's list of graduates, imported as CSV."""
