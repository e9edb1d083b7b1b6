"""The portal's configuration, read from environment variables.

The portal is a client of the gateway, deployable on its own, so it reads its own few
settings rather than the services' configuration. No secret has a default outside dev mode.

``PORTAL_API_URL`` is the gateway's address as the portal reaches it, directly: the portal
does not read ``HTTP_PROXY``/``HTTPS_PROXY``/``NO_PROXY``, ``.netrc`` or
``REQUESTS_CA_BUNDLE`` from the environment (frontends/portal/gateway.py turns requests'
``trust_env`` off: it cost a scan of the environment on every API call).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping
from urllib.parse import urlparse

from cryptography.fernet import Fernet

LANGUAGES = ("bg", "en")


class PortalConfigError(RuntimeError):
    def __init__(self, problems: dict[str, str]):
        self.problems = problems
        super().__init__("invalid portal configuration:\n" + "\n".join(
            f"  {name}: {reason}" for name, reason in sorted(problems.items())))


@dataclass(frozen=True)
class PortalSettings:
    api_url: str            # the gateway, as the portal reaches it (e.g. http://gateway:8080), never via a proxy
    session_key: str        # Fernet key encrypting the session cookie (it holds API tokens)
    dev_mode: bool          # plain-http cookies and a generated session key are allowed
    api_timeout_s: float    # a page waits at most this long for one API call
    trusted_proxies: int    # how many proxies in front of the portal set X-Forwarded-* (the gateway: 1)
    dev_outbox_dir: str     # dev mode: where the platform writes email, linked from the login page

    @property
    def secure_cookies(self) -> bool:
        return not self.dev_mode


def load(environ: Mapping[str, str] | None = None) -> PortalSettings:
    """Read and check every setting; raise ``PortalConfigError`` naming each bad one."""
    environ = os.environ if environ is None else environ
    problems: dict[str, str] = {}
    dev_mode = environ.get("DEV_MODE", "false").strip().lower() in ("1", "true", "yes", "on")
    api_url = environ.get("PORTAL_API_URL", "http://127.0.0.1:8080").rstrip("/")
    if urlparse(api_url).scheme not in ("http", "https") or not urlparse(api_url).netloc:
        problems["PORTAL_API_URL"] = f"expected an http(s) URL (got {api_url!r})"
    session_key = environ.get("PORTAL_SESSION_KEY", "")
    if not session_key:
        if dev_mode:
            session_key = Fernet.generate_key().decode()
        else:
            problems["PORTAL_SESSION_KEY"] = "is required (a Fernet key; `alumnet keys` writes one)"
    else:
        try:
            Fernet(session_key)
        except ValueError:
            problems["PORTAL_SESSION_KEY"] = "is not a Fernet key (32 url-safe base64-encoded bytes)"
    try:
        timeout = float(environ.get("PORTAL_API_TIMEOUT_S", "10"))
        if not 0.1 <= timeout <= 60:
            raise ValueError
    except ValueError:
        problems["PORTAL_API_TIMEOUT_S"] = "expected seconds between 0.1 and 60"
        timeout = 10.0
    try:
        proxies = int(environ.get("PORTAL_TRUSTED_PROXIES", "1"))
        if proxies < 0:
            raise ValueError
    except ValueError:
        problems["PORTAL_TRUSTED_PROXIES"] = "expected a whole number >= 0"
        proxies = 1
    if problems:
        raise PortalConfigError(problems)
    return PortalSettings(api_url=api_url, session_key=session_key, dev_mode=dev_mode,
                          api_timeout_s=timeout, trusted_proxies=proxies,
                          dev_outbox_dir=environ.get("DEV_OUTBOX_DIR", ".dev/outbox"))
