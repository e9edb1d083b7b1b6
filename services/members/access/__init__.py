"""Revoking a member's access (every token issued before now)."""
