"""Changing a member's email address, confirmed by the new address and undoable from the old."""
