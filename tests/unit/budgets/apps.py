"""The app a budget test counts, made after the ``counter`` fixture (so its store client
reports to the counter) with its clock standing, and its token check's revocations refreshed
no more during the test: that read (``shared.revocations``, at most one a second per process,
whatever the number of requests) is no command of the request counted, but on a loaded
machine its second may end between the warm request and the counted one."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import Flask

from shared.clock import FixedClock

NO_REFRESH_S = 24 * 3600.0


def counted_app(create_app: Callable, make_config: Callable, now: datetime | None = None) -> Flask:
    app = create_app(make_config(AMQP_URL="memory://"))
    service = app.extensions["alumnet"]
    if now is not None:
        service.clock = FixedClock(now)
    if service.verifier is not None and service.verifier.revocations is not None:
        service.verifier.revocations.refresh_s = NO_REFRESH_S
    return app
