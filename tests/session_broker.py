"""The RabbitMQ node of one `make test` run: started before the first test and stopped after
the last, with its own node name, ports and data folder, so a run needs no broker started by
hand and two runs on one machine never share a queue.

    python -m tests.session_broker DIR    # serves until SIGTERM or SIGINT

Once the node is up it writes ``DIR/env``: shell ``export`` lines of ``AMQP_URL`` and of the
node's name and environment file, so that the tests' own ``rabbitmqctl`` calls reach this node
too. Without root (Debian's ``rabbitmq-server`` switches to its own user) it cannot start a
node: it says so and exits 2, and the Makefile then uses ``AMQP_URL`` as given.
"""
from __future__ import annotations

import os
import shlex
import shutil
import signal
import sys
import threading
from pathlib import Path

from tests.broker_node import PrivateBroker


def serve(folder: Path) -> int:
    if os.geteuid() != 0 or shutil.which("rabbitmq-server") is None:
        print("session broker: no private node without root and rabbitmq-server; using AMQP_URL as set",
              file=sys.stderr)
        return 2
    folder.chmod(0o755)  # the node's own user walks through it to its data
    node = folder / "node"
    node.mkdir()
    broker = PrivateBroker(node)
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())
    try:
        broker.start()
        exports = {"AMQP_URL": broker.url, "RABBITMQ_NODENAME": broker.node,
                   "RABBITMQ_CONF_ENV_FILE": broker.env["RABBITMQ_CONF_ENV_FILE"]}
        written = folder / "env.partial"
        written.write_text("".join(f"export {k}={shlex.quote(v)}\n" for k, v in exports.items()))
        written.rename(folder / "env")  # whole or absent: the Makefile waits for it
        print(f"session broker: {broker.node} at {broker.url}", file=sys.stderr, flush=True)
        while not stopping.wait(1):  # a signal handler runs between these waits
            pass
    finally:
        broker.stop()
    return 0


if __name__ == "__main__":
    sys.exit(serve(Path(sys.argv[1]).resolve()))
