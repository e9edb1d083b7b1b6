"""Process configuration (``shared.config``): defaults, parsing, and one error naming every bad
setting at once.

Nothing here touches the real environment except the test that checks ``load()`` reads
``os.environ`` (through monkeypatch).
"""
from __future__ import annotations

import dataclasses

import pytest

from shared.config import SERVICES, SETTINGS, Config, ConfigError, load


@pytest.fixture
def key_file(tmp_path):
    path = tmp_path / "jwt-public.pem"
    path.write_text("not checked here, only that the file exists\n")
    return str(path)


def test_defaults_load_with_only_the_key_file(key_file):
    config = load({"JWT_PUBLIC_KEY_FILE": key_file})
    assert config.amqp_url == "amqp://guest:guest@localhost:5672//"
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
