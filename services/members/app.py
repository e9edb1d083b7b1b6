"""The members api process: ``create_app()`` is what gunicorn runs."""
from __future__ import annotations

from flask import Flask

from services.members.accounts import api as accounts_api
from services.members.ambassadors import api as ambassadors_api
from services.members.ambassadors import report as ambassadors_report
from services.members.consent import api as consent_api
from services.members.directory import api as directory_api
from services.members.email_change import api as email_change_api
from services.members.mentoring import api as mentoring_api
from services.members.mentoring import dashboard_api as mentoring_dashboard_api
from services.members.privacy import api as privacy_api
from services.members.profiles.api import blp
from services.members.roster import api as roster_api
from services.members.segments import api as segments_api
from services.members.stats import api as stats_api
from services.members.store import MembersStore
from services.members.surveys import api as surveys_api
from services.members.surveys import results_api as survey_results_api
from services.members.unsubscribe import api as unsubscribe_api
from shared.config import Config, load
from shared.service import build_api

NAME = "members"


def create_store(config: Config) -> MembersStore:
    return MembersStore(config.mongo_url, config.database_name(NAME))


def create_app(config: Config | None = None) -> Flask:
    config = config or load()
    mentoring_api.programme(config)  # a bad MENTORING_WEIGHTS stops the start, naming it
    return build_api(NAME, config, create_store(config),
                     [blp, accounts_api.blp, email_change_api.blp, consent_api.blp, privacy_api.blp, roster_api.blp,
                      directory_api.blp, segments_api.blp, unsubscribe_api.blp, stats_api.blp,
                      surveys_api.blp, survey_results_api.blp, mentoring_api.blp, mentoring_dashboard_api.blp,
                      ambassadors_api.blp, ambassadors_report.blp],
                     description="Members, profiles and consents of the alumni community.")
