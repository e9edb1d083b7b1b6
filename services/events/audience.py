"""Who an event is for, decided on the events service's own read model of members (built
from members events: no call to the members service at request time).

Only verified members are in any audience; admins see and may register for everything.
A segment audience is evaluated with the shared member filter language on the read model,
the same way the members service evaluates it on its own data (``shared.memberview.fits``,
which the notifications service uses for the same audiences).
"""
from shared.memberview import fits

__all__ = ["fits"]
