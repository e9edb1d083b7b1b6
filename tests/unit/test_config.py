"""Process configuration (``shared.config``): defaults, parsing, and one error naming every bad
setting at once.

Nothing here touches the real environment except the test that checks ``load()`` reads
``os.environ`` (through monkeypatch).
"""
from __future__ import annotations

import dataclasses

import pytest

from shared import secretcheck
from shared.config import SERVICES, SETTINGS, Config, ConfigError, load


@pytest.fixture
def key_file(tmp_path):
    path = tmp_path / "jwt-public.pem"
    path.write_text("not checked here, only that the file exists\n")
    return str(path)


def test_defaults_load_with_only_the_key_file(key_file):
    config = load({"JWT_PUBLIC_KEY_FILE": key_file})
    assert config.amqp_url == "amqp://localhost:5672//"  # no credentials: secrets have no default
    assert config.trusted_proxies == () and config.dev_mode is False
    assert config.mongo_url == "mongodb://localhost:27017"
    assert config.mongo_db_prefix == "alumnet_"
    assert config.jwt_public_key_file == key_file
    assert config.jwt_issuer == config.jwt_audience == "alumnet"
    assert config.jwt_access_ttl == 900
    assert config.smtp_port == 25 and isinstance(config.smtp_port, int)
    assert config.smtp_starttls is False
    assert config.email_backend == "smtp" and config.sms_backend == "http"
    assert config.log_level == "INFO"
    assert config.port == 8000 and config.worker_http_port == 9000
    assert config.max_content_length == 1048576
    assert config.public_base_url == "http://localhost:8080"


def test_every_default_parses_and_every_setting_is_a_config_field():
    names = {f.name for f in dataclasses.fields(Config)} - {"extra"}
    assert {env.lower() for env in SETTINGS} == names
    for env, setting in SETTINGS.items():
        assert setting.help, f"{env} has no help text"
        if setting.default is not None:
            setting.parse(setting.default)  # raises if a default is malformed


def test_load_reads_os_environ_by_default(monkeypatch, key_file):
    monkeypatch.setenv("JWT_PUBLIC_KEY_FILE", key_file)
    monkeypatch.setenv("SMTP_PORT", "2525")
    monkeypatch.setenv("MONGO_DB_PREFIX", "staging_")
    config = load()
    assert config.smtp_port == 2525
    assert config.database_name("awards") == "staging_awards"


def test_every_malformed_setting_is_named_at_once(tmp_path):
    env = {
        "MONGO_URL": "http://db.example.org",          # wrong scheme
        "AMQP_URL": "amqp://",                          # no host
        "PUBLIC_BASE_URL": "ftp://alumni.example.bg",   # wrong scheme
        "PORT": "70000",                                # out of range
        "SMTP_PORT": "0",                               # out of range
        "WORKER_HTTP_PORT": "nine thousand",            # not a number
        "SMTP_STARTTLS": "maybe",                       # not a bool
        "EMAIL_BACKEND": "carrier-pigeon",              # not a choice
        "SMS_BACKEND": "HTTP",                          # choices are case-sensitive
        "LOG_LEVEL": "verbose",                         # not a level
        "JWT_ACCESS_TTL": "-5",                         # not positive
        "MAX_CONTENT_LENGTH": "1.5",                    # not an integer
        "JWT_PUBLIC_KEY_FILE": str(tmp_path / "absent.pem"),  # no such file
    }
    with pytest.raises(ConfigError) as caught:
        load(env)
    problems = caught.value.problems
    assert set(problems) == set(env)
    assert "scheme" in problems["MONGO_URL"] and "'http://db.example.org'" in problems["MONGO_URL"]
    assert "no host" in problems["AMQP_URL"]
    assert "1-65535" in problems["PORT"]
    assert "true or false" in problems["SMTP_STARTTLS"]
    assert "smtp, file" in problems["EMAIL_BACKEND"]
    assert "positive" in problems["JWT_ACCESS_TTL"]
    assert problems["JWT_PUBLIC_KEY_FILE"].startswith("no such file")
    message = str(caught.value)
    for name in env:
        assert name in message


def test_a_missing_public_key_is_required():
    with pytest.raises(ConfigError) as caught:
        load({})
    assert caught.value.problems == {"JWT_PUBLIC_KEY_FILE": "is required"}
    with pytest.raises(ConfigError) as caught:
        load({"JWT_PUBLIC_KEY_FILE": ""})
    assert caught.value.problems == {"JWT_PUBLIC_KEY_FILE": "is required"}


def test_missing_key_and_other_problems_are_reported_together():
    with pytest.raises(ConfigError) as caught:
        load({"PORT": "-1"})
    assert set(caught.value.problems) == {"JWT_PUBLIC_KEY_FILE", "PORT"}


def test_require_keys_false_allows_a_missing_or_absent_key(tmp_path):
    assert load({}, require_keys=False).jwt_public_key_file == ""
    absent = str(tmp_path / "absent.pem")
    assert load({"JWT_PUBLIC_KEY_FILE": absent}, require_keys=False).jwt_public_key_file == absent


def test_require_keys_false_still_checks_everything_else():
    with pytest.raises(ConfigError) as caught:
        load({"SMTP_PORT": "99999"}, require_keys=False)
    assert set(caught.value.problems) == {"SMTP_PORT"}


@pytest.mark.parametrize("raw,expected", [("1", True), ("true", True), ("YES", True), (" on ", True),
                                          ("0", False), ("false", False), ("No", False), ("off", False),
                                          ("", False)])
def test_booleans(raw, expected):
    assert load({"SMTP_STARTTLS": raw}, require_keys=False).smtp_starttls is expected


@pytest.mark.parametrize("name,url", [
    ("MONGO_URL", "mongodb://mongo-0:27017,mongo-1:27017,mongo-2:27017/?replicaSet=rs0"),
    ("MONGO_URL", "mongodb+srv://cluster0.example.net/"),
    ("MONGO_URL", "mongodb://user:p%40ss@127.0.0.1:27018"),
    ("AMQP_URL", "amqps://user:secret@rabbit.example.org:5671/alumnet"),
    ("AMQP_URL", "memory://"),
    ("PUBLIC_BASE_URL", "https://alumni.mu-plovdiv.bg"),
])
def test_well_formed_urls_are_accepted(name, url):
    config = load({name: url}, require_keys=False)
    assert getattr(config, name.lower()) == url


@pytest.mark.parametrize("name,url", [("MONGO_URL", "memory://"), ("AMQP_URL", "mongodb://x"),
                                      ("PUBLIC_BASE_URL", "alumni.example.bg"), ("MONGO_URL", "")])
def test_malformed_urls_are_refused(name, url):
    with pytest.raises(ConfigError) as caught:
        load({name: url}, require_keys=False)
    assert set(caught.value.problems) == {name}


def test_log_level_is_case_insensitive():
    assert load({"LOG_LEVEL": "debug"}, require_keys=False).log_level == "DEBUG"


@pytest.mark.parametrize("port", ["1", "65535"])
def test_port_bounds(port):
    assert load({"PORT": port}, require_keys=False).port == int(port)


def test_database_name_is_prefix_plus_service():
    config = load({"MONGO_DB_PREFIX": "t1_"}, require_keys=False)
    assert [config.database_name(s) for s in SERVICES] == [
        "t1_members", "t1_events", "t1_awards", "t1_notifications"]
    assert load({}, require_keys=False).database_name("members") == "alumnet_members"


# --------------------------------------------------------------------------- secrets

def test_no_secret_setting_has_a_default_with_a_credential_in_it():
    secrets = {name for name, setting in SETTINGS.items() if setting.secret}
    assert {"AMQP_URL", "MONGO_URL", "TOKEN_ENCRYPTION_KEY", "LINK_SIGNING_KEY", "SMTP_PASSWORD",
            "SMS_AUTH_TOKEN", "SMTP_FALLBACK_URL", "SMS_FALLBACK_AUTH_TOKEN"} <= secrets
    for name in secrets:
        default = SETTINGS[name].default or ""
        assert "@" not in default and (default == "" or "://" in default), name


@pytest.fixture
def deployed(tmp_path):
    """The environment of a correctly configured deployed process, secrets made by alumnet keys."""
    from alumnet.keys import generate
    generate(tmp_path / "secrets", amqp_host="127.0.0.1:5672", mongo_host="127.0.0.1:27017")

    def env_for(service: str, **overrides: str) -> dict:
        env = {"JWT_PUBLIC_KEY_FILE": str(tmp_path / "secrets" / "jwt-public.pem"),
               "JWT_PRIVATE_KEY_FILE": str(tmp_path / "secrets" / "jwt-private.pem"),
               "SMS_BACKEND": "file"}
        for line in (tmp_path / "secrets" / f"{service}.env").read_text().splitlines():
            key, _, value = line.partition("=")
            env[key] = value
        return {**env, **overrides}
    return env_for


@pytest.mark.parametrize("service", SERVICES)
def test_generated_secrets_pass_the_start_up_check(deployed, service):
    for process in ("api", "worker"):
        assert secretcheck.problems(load(deployed(service)), service, process) == {}


def test_missing_secrets_are_named(deployed):
    env = deployed("members")
    for name in ("TOKEN_ENCRYPTION_KEY", "LINK_SIGNING_KEY", "AMQP_URL", "MONGO_URL", "JWT_PRIVATE_KEY_FILE"):
        env.pop(name)
    assert set(secretcheck.problems(load(env), "members", "api")) == {
        "TOKEN_ENCRYPTION_KEY", "LINK_SIGNING_KEY", "AMQP_URL", "MONGO_URL", "JWT_PRIVATE_KEY_FILE"}
    # A worker needs no signing key; a service that holds no token key needs neither key.
    assert "JWT_PRIVATE_KEY_FILE" not in secretcheck.problems(load(env), "members", "worker")
    assert set(secretcheck.problems(load(deployed("events")), "events", "api")) == set()


@pytest.mark.parametrize("name,value", [
    ("AMQP_URL", "amqp://guest:guest@rabbitmq:5672/alumnet"),
    ("AMQP_URL", "amqp://alumnet:alumnet@rabbitmq:5672/alumnet"),
    ("AMQP_URL", "amqp://rabbitmq:5672/alumnet"),
    ("AMQP_URL", "memory://"),
    ("MONGO_URL", "mongodb://alumnet:CHANGE-ME@mongo:27017/?replicaSet=rs0"),
    ("MONGO_URL", "mongodb://mongo:27017/?replicaSet=rs0"),
    ("TOKEN_ENCRYPTION_KEY", "7IPJb2Z9nAjNQ4C8m7tXVN3kZmX3rS1HaY5DUyvP6o0="),
    ("TOKEN_ENCRYPTION_KEY", "not a fernet key"),
    ("LINK_SIGNING_KEY", "short"),
    ("SMTP_PASSWORD", "CHANGE-ME"),
    ("SMS_AUTH_TOKEN", "CHANGE-ME"),
])
def test_a_published_or_weak_secret_is_refused(deployed, name, value):
    problems = secretcheck.problems(load(deployed("notifications", **{name: value})), "notifications", "worker")
    assert set(problems) == {name}


def test_encryption_and_signing_keys_must_differ(deployed):
    env = deployed("members")
    env["LINK_SIGNING_KEY"] = env["TOKEN_ENCRYPTION_KEY"]
    assert "must differ" in secretcheck.problems(load(env), "members", "worker")["LINK_SIGNING_KEY"]


def test_dev_mode_accepts_the_example_secrets():
    config = load({"DEV_MODE": "true", "AMQP_URL": "amqp://guest:guest@localhost:5672//"}, require_keys=False)
    assert secretcheck.problems(config, "members", "api") == {}


def test_every_example_secret_in_the_deploy_files_is_known_as_published():
    import yaml
    from urllib.parse import urlsplit
    from pathlib import Path
    example = Path(__file__).resolve().parents[2] / "deploy" / "k8s" / "secret.example.yaml"
    for doc in yaml.safe_load_all(example.read_text()):
        for name, value in doc["stringData"].items():
            if not value or SETTINGS.get(name) is None or not SETTINGS[name].secret:
                continue
            password = urlsplit(value).password if "://" in value else value
            assert password is None or password in secretcheck.PUBLISHED, name


@pytest.mark.parametrize("raw,expected", [("", ()), ("10.0.0.0/8, 192.0.2.7", ("10.0.0.0/8", "192.0.2.7/32")),
                                          ("::1", ("::1/128",))])
def test_trusted_proxies(raw, expected):
    assert tuple(map(str, load({"TRUSTED_PROXIES": raw}, require_keys=False).trusted_proxies)) == expected


def test_trusted_proxies_default_is_none_outside_dev_and_loopback_in_dev():
    assert load({}, require_keys=False).trusted_proxies == ()
    assert {str(n) for n in load({"DEV_MODE": "true"}, require_keys=False).trusted_proxies} == {"127.0.0.0/8", "::1/128"}
    with pytest.raises(ConfigError) as caught:
        load({"TRUSTED_PROXIES": "gateway"}, require_keys=False)
    assert set(caught.value.problems) == {"TRUSTED_PROXIES"}


def test_a_deployed_process_refuses_to_start_naming_the_secret(deployed, monkeypatch):
    from click.testing import CliRunner
    from alumnet.cli import main
    env = deployed("notifications", AMQP_URL="amqp://guest:guest@localhost:5672//")
    env.pop("LINK_SIGNING_KEY")
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    for kind in ("api", "worker"):
        result = CliRunner().invoke(main, [kind, "notifications"], env=env)
        assert result.exit_code != 0
        assert "AMQP_URL" in result.output and "LINK_SIGNING_KEY" in result.output, result.output


def test_keys_generate_makes_every_secret_once(tmp_path):
    from click.testing import CliRunner
    from alumnet.cli import main
    runner = CliRunner()
    assert runner.invoke(main, ["keys", "generate", str(tmp_path)]).exit_code == 0
    made = {p.name for p in tmp_path.iterdir()}
    assert {"jwt-private.pem", "jwt-public.pem", "token-encryption.key", "link-signing.key",
            "rabbitmq-users.json", "mongo-users.json", "mongo-keyfile"} | {f"{s}.env" for s in SERVICES} <= made
    assert all((tmp_path / name).stat().st_mode & 0o077 == 0 for name in made - {"jwt-public.pem"})
    again = runner.invoke(main, ["keys", "generate", str(tmp_path)])
    assert again.exit_code != 0 and "already holds" in again.output


def test_a_shifted_clock_is_for_tests_only():
    assert load({}, require_keys=False).clock_offset_s == 0
    assert load({"DEV_MODE": "true", "CLOCK_OFFSET_S": "5400"}, require_keys=False).clock_offset_s == 5400
    with pytest.raises(ConfigError) as caught:
        load({"CLOCK_OFFSET_S": "5400"}, require_keys=False)
    assert "DEV_MODE" in caught.value.problems["CLOCK_OFFSET_S"]
    for bad in ("nan", "inf", "1e12", "an hour"):
        with pytest.raises(ConfigError) as caught:
            load({"DEV_MODE": "true", "CLOCK_OFFSET_S": bad}, require_keys=False)
        assert set(caught.value.problems) == {"CLOCK_OFFSET_S"}


def test_a_built_worker_and_api_run_on_their_shifted_clock(monkeypatch, make_config):
    from datetime import datetime, timezone

    from services.members.app import create_app
    from services.members.worker import create_worker
    from shared import clock

    monkeypatch.setattr(clock, "_offset", clock._offset)  # put back whatever the test sets
    for build, offset in ((create_worker, 5400), (create_app, -60), (create_worker, 0)):
        before = datetime.now(timezone.utc)
        build(make_config(AMQP_URL="memory://", DEV_MODE="true", CLOCK_OFFSET_S=str(offset)))
        shifted = (clock.now() - before).total_seconds()
        assert offset - 1 <= shifted <= offset + 30, build
