"""Versioned static URLs: ``url_for('static', filename=...)`` (and an area's
``url_for('<area>.static', ...)``) gets ``?v=<content hash>``.

A changed file gets a new URL, so the gateway can let browsers keep static files for a year
(deploy/nginx/alumnet.conf.template) and a deployment is still seen at once.
"""
from __future__ import annotations

import hashlib
import os
from functools import lru_cache

from flask import Flask


@lru_cache(maxsize=512)
def _digest(path: str, mtime_ns: int, size: int) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()[:12]


def version(folder: str | None, filename: str) -> str | None:
    if not folder:
        return None
    path = os.path.join(folder, filename)
    try:
        stat = os.stat(path)
    except OSError:
        return None  # Flask answers 404 for it anyway
    return _digest(path, stat.st_mtime_ns, stat.st_size)


def init(app: Flask) -> None:
    @app.url_defaults
    def _static_version(endpoint: str | None, values: dict) -> None:
        if not endpoint or "v" in values or not (endpoint == "static" or endpoint.endswith(".static")):
            return
        owner = app if endpoint == "static" else app.blueprints.get(endpoint.rsplit(".", 1)[0])
        found = version(getattr(owner, "static_folder", None), values.get("filename", ""))
        if found:
            values["v"] = found
