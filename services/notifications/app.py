"""The notifications api process: ``create_app()`` is what gunicorn runs."""
from __future__ import annotations

from flask import Flask

from services.notifications import export_api, stats_api
from services.notifications.api import blp
from services.notifications.store import NotificationsStore
from shared.config import Config, load
from shared.service import build_api

NAME = "notifications"


def create_store(config: Config) -> NotificationsStore:
    return NotificationsStore(config.mongo_url, config.database_name(NAME))


def create_app(config: Config | None = None) -> Flask:
    config = config or load()
    return build_api(NAME, config, create_store(config), [blp, stats_api.blp, export_api.blp],
                     description="Email and SMS to members, in Bulgarian and English.")
