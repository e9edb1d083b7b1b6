"""SMS transports against a real HTTP sink: what is sent (form fields, basic auth, the
idempotency key), how failures are classified for retrying, and the dev-mode file sender."""
from __future__ import annotations

import json

import pytest

from services.notifications.sms_sender import (
    FileSmsSender,
    HttpSmsSender,
    PermanentSmsError,
    SmsResult,
    TransientSmsError,
    sms_sender_for,
)
from shared.config import load
from tests.sms_sink import SmsSink
from tests.support import refusing_port

SID, TOKEN = "AC0123456789abcdef0123456789abcdef", "secret-token"
TO = "+359881234567"


@pytest.fixture
def sink():
    with SmsSink(account_sid=SID, auth_token=TOKEN) as running:
        yield running


@pytest.fixture
def sender(sink):
    # The default timeout: an answer that comes, however loaded the machine, is never taken
    # for a stall.
    return HttpSmsSender(sink.url, SID, TOKEN, "Alumnet")


@pytest.fixture
def impatient(sink):
    """For the stall tests' first request only: the sink then holds its answer until the test
    ends, so the client surely gives up first whatever this timeout is; short, to end soon."""
    return HttpSmsSender(sink.url, SID, TOKEN, "Alumnet", timeout_s=0.3)


STALL_S = 60  # longer than any test: the sink answers a stalled request only when it closes


def test_a_message_is_posted_as_a_form_with_basic_auth(sink, sender):
    result = sender.send(TO, "Среща утре в 18:30 — 10€", delivery_id="evt1:member1:sms")
    assert len(sink.messages) == 1
    message = sink.messages[0]
    assert (message.to, message.sender, message.body) == (TO, "Alumnet", "Среща утре в 18:30 — 10€")
    assert message.auth == (SID, TOKEN)
    assert result == SmsResult(provider_id=message.sid) and result.provider_id.startswith("SM")
    headers = sink.requests[0]["headers"]
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"


def test_the_delivery_id_is_the_idempotency_key_under_both_names(sink, sender):
    sender.send(TO, "hello", delivery_id="evt1:member1:sms")
    headers = sink.requests[0]["headers"]
    assert headers["Idempotency-Key"] == "evt1:member1:sms"
    assert headers["I-Twilio-Idempotency-Token"] == "evt1:member1:sms"


def test_a_retry_with_the_same_key_is_not_sent_twice(sink, sender):
    first = sender.send(TO, "hello", delivery_id="evt1:member1:sms")
    again = sender.send(TO, "hello", delivery_id="evt1:member1:sms")
    other = sender.send(TO, "hello", delivery_id="evt2:member1:sms")
    assert again == first and other != first
    assert len(sink.requests) == 3
    assert [m.idempotency_key for m in sink.messages] == ["evt1:member1:sms", "evt2:member1:sms"]


def test_a_lost_answer_times_out_and_the_retry_finds_the_message_sent(sink, sender, impatient):
    # The provider took the message but its answer never came back (as after a worker crash
    # between sending and recording): the retry must not produce a second SMS.
    sink.hang_next(1, seconds=STALL_S, accept=True)
    with pytest.raises(TransientSmsError, match="timed out") as caught:
        impatient.send(TO, "hello", delivery_id="evt1:member1:sms")
    assert caught.value.maybe_sent
    result = sender.send(TO, "hello", delivery_id="evt1:member1:sms")
    assert len(sink.messages) == 1
    assert result.provider_id == sink.messages[0].sid


def test_a_connection_closed_without_an_answer_may_have_sent_and_the_retry_finds_it(sink, sender):
    sink.drop_next(1, accept=True)
    with pytest.raises(TransientSmsError) as caught:
        sender.send(TO, "hello", delivery_id="evt1:member1:sms")
    assert caught.value.maybe_sent and caught.value.retry_after is None
    result = sender.send(TO, "hello", delivery_id="evt1:member1:sms")
    assert len(sink.messages) == 1 and result.provider_id == sink.messages[0].sid


def test_a_stalled_provider_times_out_as_transient(sink, sender, impatient):
    sink.hang_next(1, seconds=STALL_S)
    with pytest.raises(TransientSmsError, match="timed out") as caught:
        impatient.send(TO, "hello", delivery_id="d1")
    assert caught.value.retry_after is None
    assert sink.messages == []
    sender.send(TO, "hello", delivery_id="d1")
    assert len(sink.messages) == 1


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_transient(sink, sender, status):
    sink.fail_next(1, status=status)
    with pytest.raises(TransientSmsError) as caught:
        sender.send(TO, "hello", delivery_id="d1")
    assert caught.value.status == status and caught.value.retry_after is None
    assert sink.messages == []
    sender.send(TO, "hello", delivery_id="d1")  # the next attempt goes through
    assert len(sink.messages) == 1


def test_too_many_requests_is_transient_with_the_providers_wait(sink, sender):
    sink.fail_next(2, status=429, retry_after=7,
                   body={"code": 20429, "message": "Too Many Requests", "status": 429})
    with pytest.raises(TransientSmsError, match="20429") as caught:
        sender.send(TO, "hello", delivery_id="d1")
    assert (caught.value.status, caught.value.retry_after) == (429, 7.0)
    with pytest.raises(TransientSmsError):
        sender.send(TO, "hello", delivery_id="d1")
    sender.send(TO, "hello", delivery_id="d1")
    assert len(sink.messages) == 1 and len(sink.requests) == 3


def test_retry_after_as_an_http_date_becomes_seconds(sink, sender):
    sink.fail_next(1, status=503, retry_after="Wed, 21 Oct 2015 07:28:00 GMT")
    with pytest.raises(TransientSmsError) as caught:
        sender.send(TO, "hello", delivery_id="d1")
    assert caught.value.retry_after == 0.0  # a date in the past: retry now


def test_an_invalid_number_is_permanent_with_the_providers_code(sink, sender):
    sink.fail_next(1, status=400, body={
        "code": 21211, "message": "The 'To' number +35988 is not a valid phone number.",
        "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400})
    with pytest.raises(PermanentSmsError, match="21211") as caught:
        sender.send("+35988", "hello", delivery_id="d1")
    error = caught.value
    assert (error.status, error.code) == (400, 21211)
    assert "not a valid phone number" in error.provider_message
    assert sink.messages == []


def test_bad_credentials_are_permanent(sink):
    wrong = HttpSmsSender(sink.url, SID, "wrong-token", "Alumnet", timeout_s=1)
    with pytest.raises(PermanentSmsError) as caught:
        wrong.send(TO, "hello", delivery_id="d1")
    assert (caught.value.status, caught.value.code) == (401, 20003)


def test_an_error_body_that_is_not_json_still_classifies(sink, sender):
    sink.fail_next(1, status=404, body="<html>Not Found</html>")
    with pytest.raises(PermanentSmsError, match="HTTP 404") as caught:
        sender.send(TO, "hello", delivery_id="d1")
    assert caught.value.code is None


def test_a_provider_that_cannot_be_reached_is_transient():
    with refusing_port() as port, pytest.raises(TransientSmsError, match="cannot reach"):
        HttpSmsSender(f"http://127.0.0.1:{port}/2010-04-01/Accounts/{SID}/Messages.json", SID, TOKEN, "Alumnet",
                      timeout_s=1).send(TO, "hello", delivery_id="d1")


def test_an_api_url_that_is_not_http_is_refused_at_construction():
    with pytest.raises(ValueError, match="SMS_API_URL"):
        HttpSmsSender("", SID, TOKEN, "Alumnet")


def test_the_file_sender_writes_one_json_file_per_message(tmp_path):
    sender = FileSmsSender(tmp_path / "sms", sender="Alumnet")
    result = sender.send(TO, "Здравейте! Среща утре.", delivery_id="evt1:member1:sms")
    sender.send(TO, "Здравейте! Среща утре.", delivery_id="evt1:member1:sms")  # a retry
    files = list((tmp_path / "sms").iterdir())
    assert [f.name for f in files] == ["evt1_member1_sms.json"]
    record = json.loads(files[0].read_text(encoding="utf-8"))
    assert record["to"] == TO and record["from"] == "Alumnet"
    assert record["body"] == "Здравейте! Среща утре."
    assert (record["encoding"], record["segments"]) == ("UCS-2", 1)
    assert record["delivery_id"] == "evt1:member1:sms"
    assert result.provider_id == "file:evt1_member1_sms"


def test_the_factory_chooses_by_sms_backend(tmp_path):
    file_config = load({"SMS_BACKEND": "file", "DEV_OUTBOX_DIR": str(tmp_path)}, require_keys=False)
    chosen = sms_sender_for(file_config)
    assert isinstance(chosen, FileSmsSender) and chosen.folder == tmp_path / "sms"
    http_config = load({"SMS_BACKEND": "http", "SMS_API_URL": "https://api.twilio.com/2010-04-01/Accounts/"
                        f"{SID}/Messages.json", "SMS_ACCOUNT_SID": SID, "SMS_AUTH_TOKEN": TOKEN,
                        "SMS_FROM": "Alumnet"}, require_keys=False)
    chosen = sms_sender_for(http_config)
    assert isinstance(chosen, HttpSmsSender) and chosen.sender == "Alumnet"
