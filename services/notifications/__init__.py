"""The notifications service: turns other services' events into email and SMS that reach
people once, in their language, with their consent."""
