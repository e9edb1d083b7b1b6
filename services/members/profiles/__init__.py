"""Member records: sign-up route, profiles and their visibility, the office's list and verification."""
