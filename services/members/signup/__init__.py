"""Sign-up: a new member, and the proof that its address is theirs."""
