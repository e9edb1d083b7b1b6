"""The session cookie: signed and encrypted (Fernet), so the API tokens it carries are never
readable or forgeable in the browser.

Flask's own session cookie is signed but readable; this one is AES-encrypted and
authenticated by the same key, HttpOnly, SameSite=Lax and, outside dev mode, Secure. It
expires with the refresh token's idle limit: a week without a visit signs one out.
"""
from __future__ import annotations

import json
from datetime import timedelta

from cryptography.fernet import Fernet, InvalidToken
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict

COOKIE_NAME = "alumnet_session"
MAX_AGE = timedelta(days=7)


class PortalSession(CallbackDict, SessionMixin):
    def __init__(self, initial=None):
        def on_update(this):
            this.modified = True
        super().__init__(initial, on_update)
        self.modified = False


class EncryptedCookieSessionInterface(SessionInterface):
    def __init__(self, key: str):
        self.fernet = Fernet(key.encode() if isinstance(key, str) else key)

    def open_session(self, app, request):
        raw = request.cookies.get(COOKIE_NAME)
        if not raw:
            return PortalSession()
        try:
            data = json.loads(self.fernet.decrypt(raw.encode(), ttl=int(MAX_AGE.total_seconds())))
        except (InvalidToken, ValueError):
            # An expired, tampered or foreign cookie is simply no session.
            return PortalSession()
        return PortalSession(data if isinstance(data, dict) else None)

    def save_session(self, app, session, response):
        secure = app.config["SESSION_COOKIE_SECURE"]
        if not session:
            if session.modified:
                response.delete_cookie(COOKIE_NAME, path="/", secure=secure, httponly=True, samesite="Lax")
            return
        # Written again whenever it changes; an active member's access token is refreshed every
        # few minutes, which rewrites it, so only a week away signs one out.
        response.vary.add("Cookie")
        if not session.modified:
            return
        value = self.fernet.encrypt(json.dumps(session, separators=(",", ":")).encode()).decode()
        response.set_cookie(COOKIE_NAME, value, max_age=MAX_AGE, path="/", secure=secure,
                            httponly=True, samesite="Lax")
