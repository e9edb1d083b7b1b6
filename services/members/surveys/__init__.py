"""Surveys of the members service: the alumni office asks, members answer, named answers
propose profile changes the member accepts or declines, and results are counted without
revealing small groups of an anonymous survey. ``rules.py`` holds the rules (pure)."""
