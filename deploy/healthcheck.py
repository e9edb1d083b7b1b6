"""Container health check for Alumnet api and worker processes (no curl in the image).

    python /app/deploy/healthcheck.py api|worker [PATH]

Asks http://127.0.0.1:<port><PATH> (PATH defaults to /readyz) and exits 0 on a 2xx answer,
1 otherwise. The port is PORT (default 8000) for an api and WORKER_HTTP_PORT (default 9000)
for a worker, the same variables the processes listen on.
"""
from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

PORTS = {"api": ("PORT", "8000"), "worker": ("WORKER_HTTP_PORT", "9000")}
TIMEOUT_S = 4.0


def url_for(kind: str, path: str, environ=os.environ) -> str:
    env_name, default = PORTS[kind]
    port = environ.get(env_name) or default
    return f"http://127.0.0.1:{port}{path}"


# No proxies: a proxy set in the container's environment must not answer for this process.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def check(url: str) -> tuple[bool, str]:
    try:
        with _OPENER.open(url, timeout=TIMEOUT_S) as response:
            return 200 <= response.status < 300, f"{response.status}"
    except urllib.error.HTTPError as exc:
        return False, f"{exc.code}"
    except (OSError, ValueError) as exc:
        return False, str(exc)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in PORTS or len(argv) > 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    url = url_for(argv[0], argv[1] if len(argv) == 2 else "/readyz")
    ok, detail = check(url)
    if not ok:
        print(f"unhealthy: {url}: {detail}", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
