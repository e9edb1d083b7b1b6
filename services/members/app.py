"""The members api process: ``create_app()`` is what gunicorn runs."""
from __future__ import annotations

from flask import Flask

from services.members import (
    accounts_api,
    consent_api,
    directory_api,
    email_change_api,
    privacy_api,
    roster_api,
    segments_api,
    stats_api,
    unsubscribe_api,
)
from services.members.api import blp
from services.members.store import MembersStore
from shared.config import Config, load
from shared.service import build_api

NAME = "members"


def create_store(config: Config) -> MembersStore:
    return MembersStore(config.mongo_url, config.database_name(NAME))


def create_app(config: Config | None = None) -> Flask:
    config = config or load()
    return build_api(NAME, config, create_store(config),
                     [blp, accounts_api.blp, email_change_api.blp, consent_api.blp, privacy_api.blp, roster_api.blp,
                      directory_api.blp, segments_api.blp, unsubscribe_api.blp, stats_api.blp],
                     description="Members, profiles and consents of the alumni community.")
