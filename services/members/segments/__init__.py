"""Segments: the alumni office's saved member filters."""
