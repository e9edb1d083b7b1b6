"""``alumnet members``: operator commands of the members service.

    alumnet members create-admin --email E --given-name G --family-name F
    alumnet members republish [--batch-size N] [--member ID ...]

The first admin (alumni office staff) is created here, by someone with access to the
service's configuration and store: no HTTP endpoint creates admins. ``republish`` adds a
snapshot of every member to the members outbox, for other services to rebuild their views of
members. Beside a running ``make dev`` neither needs settings: they use dev mode's store
(``alumnet.devstate``).
"""
from __future__ import annotations

import sys
import uuid
from datetime import datetime, timezone
from pathlib import Path

import click
import email_validator

from alumnet import devstate
from services.members.accounts import rules as accounts
from services.members.signup import store as signup
from shared.config import ConfigError, load


@click.group()
def members() -> None:
    """Members service: accounts and operator tasks."""


def _email(_ctx, _param, value: str) -> str:
    try:
        return email_validator.validate_email(value, check_deliverability=False).normalized.lower()
    except email_validator.EmailNotValidError as exc:
        raise click.BadParameter(str(exc)) from None


def _name(_ctx, _param, value: str) -> str:
    value = value.strip()
    if not 1 <= len(value) <= 100 or any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise click.BadParameter("1 to 100 characters, no control characters.")
    return value


@members.command("create-admin")
@click.option("--email", required=True, callback=_email, help="the admin's email (their login)")
@click.option("--given-name", required=True, callback=_name)
@click.option("--family-name", required=True, callback=_name)
@click.option("--language", type=click.Choice(["bg", "en"]), default="bg", show_default=True,
              help="language of the messages they receive")
@click.option("--data-dir", default=".dev", show_default=True, type=click.Path(path_type=Path),
              help="a running `make dev`'s data folder, used when MONGO_URL is not set")
def create_admin(email: str, given_name: str, family_name: str, language: str, data_dir: Path) -> None:
    """Create a verified member with the role admin; print its member id.

    The password is prompted for (hidden, twice) on a terminal, or read as one line from
    standard input when it is piped; never taken from the command line, where shell history
    and process lists would keep it.
    """
    environ = devstate.environment(data_dir)  # before the prompt: no store, no question
    password = _password()
    problems = accounts.password_problems(password, email)
    if problems:
        raise click.BadParameter(" ".join(problems), param_hint="password")
    try:
        config = load(environ, require_keys=False)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None

    from services.members.store import EmailTaken
    try:
        member_id = make_admin(config, email, given_name, family_name, language, password)
    except EmailTaken:
        raise click.ClickException(f"{email} is already registered.") from None
    click.echo(member_id)


def _password() -> str:
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    # Piped (a script, a secret store): one line, no echo to control and so no warning about it.
    return sys.stdin.readline().rstrip("\r\n")


def make_admin(config, email: str, given_name: str, family_name: str, language: str, password: str) -> str:
    """A verified member with the role admin, straight into the store (``EmailTaken`` if the
    address is registered); its id. Also how ``alumnet dev`` makes the demo's office login."""
    from services.members.app import create_store

    store = create_store(config)
    store.create_indexes()
    profile = {
        "given_name": given_name,
        "family_name": family_name,
        "email": email,
        "phone": None,
        "preferred_language": language,
        "graduation_year": None,
        "faculty": None,
        "programme": None,
        "consent": {"email": False, "sms": False},  # staff: only transactional messages
    }
    member = signup.register(store, profile, roles=["admin"], password=password, operator=True,
                             correlation_id=f"cli-create-admin-{uuid.uuid4().hex[:12]}")
    return member["_id"]


def _moment(_ctx, _param, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("an ISO 8601 time, e.g. 2027-03-14T02:00:00Z") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@members.command("republish")
@click.option("--batch-size", type=click.IntRange(1, 5000), default=500, show_default=True,
              help="members per transaction (and per outbox write)")
@click.option("--member", "member_ids", multiple=True, metavar="ID",
              help="only this member (repeat for several); default: every member who is not erased")
@click.option("--erasures-since", callback=_moment, metavar="TIME",
              help="also publish again the erasure of every member erased at or after TIME (ISO 8601, "
                   "UTC if no offset): for a view restored from a backup made then")
@click.option("--data-dir", default=".dev", show_default=True, type=click.Path(path_type=Path),
              help="a running `make dev`'s data folder, used when MONGO_URL is not set")
def republish(batch_size: int, member_ids: tuple[str, ...], erasures_since: datetime | None, data_dir: Path) -> None:
    """Publish a snapshot of current members (``members.member.snapshot``) through the members
    outbox, for the events', notifications' and awards' views of members to be rebuilt, e.g.
    after one of their databases was restored. Views merge a snapshot newest-change-wins, so it
    undoes no newer change and never brings an erased member back; running it twice is safe.
    A view restored from a backup may hold members erased since: `--erasures-since` publishes
    their erasure again. The members worker's relay publishes the events: watch
    `alumnet outbox status members`."""
    from services.members.app import create_store
    from services.members.snapshots import store as snapshots

    try:
        config = load(devstate.environment(data_dir), require_keys=False)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    correlation_id = f"cli-republish-{uuid.uuid4().hex[:12]}"
    store = create_store(config)

    def progress(so_far) -> None:
        click.echo(f"batch {so_far.batches}: {so_far.members} so far", err=True)
    done = snapshots.republish(store, correlation_id=correlation_id, batch_size=batch_size, member_ids=member_ids,
                               progress=progress)
    click.echo(f"republished {done.members} member(s) in {done.batches} batch(es) to the members outbox "
               f"(correlation id {correlation_id})")
    if erasures_since is not None:
        erased = snapshots.republish_erasures(store, since=erasures_since, correlation_id=correlation_id,
                                              batch_size=batch_size, progress=progress)
        click.echo(f"republished the erasure of {erased.members} member(s) erased since {erasures_since.isoformat()}")

