"""The awards service: Annual Alumni awards: cycles, nominations, scores and the engagement ledger."""
