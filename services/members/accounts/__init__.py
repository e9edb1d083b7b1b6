"""Member accounts: password login, tokens, password reset, throttling."""
