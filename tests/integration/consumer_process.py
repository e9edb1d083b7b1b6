"""A consumer in a process of its own, for tests that kill it: the bus harness's consumer of
``SERVICE``, whose handler kills its own process (SIGKILL, as the kernel's out-of-memory killer
would) in the middle of handling the event whose ``n`` is ``KILL_ON``, inside its transaction.

    python -m tests.integration.consumer_process AMQP_URL MONGO_URL SERVICE KILL_ON
"""
from __future__ import annotations

import os
import signal
import sys

from tests.integration.conftest import BusHarness


def main(amqp_url: str, mongo_url: str, service: str, kill_on: int) -> None:
    bus = BusHarness(amqp_url, mongo_url, service=service)

    def store_or_die(event, ctx):
        bus.store_effect(event, ctx)
        if event.data["n"] == kill_on:
            os.kill(os.getpid(), signal.SIGKILL)

    bus.handler = store_or_die
    bus.consumer().run()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
