"""The office's statistics of members."""
