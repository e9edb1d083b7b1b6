"""GDPR: a member's data export and erasure."""
