"""The SMTP mailer against a real aiosmtpd server that requires STARTTLS and a login, and the
provider set-up from configuration.

Checked: with STARTTLS and credentials configured, the message arrives; the server's
certificate is verified (an untrusted one is refused as our set-up's fault, which a fallback
may cover, not as a temporary failure); a refused login is the provider's fault too; a
fallback SMTP server is read from ``SMTP_FALLBACK_URL``; a message taken back in the middle of
DATA (declined, or its delivery could not be marked) is abandoned by closing the connection,
with no command the server would read as more of the message, and never accepted.
"""
from __future__ import annotations

import datetime
import ipaddress
import logging
import socket
import ssl

import pytest
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from services.notifications.mailer import NotBegun, PermanentFailure, SmtpMailer, build_message
from services.notifications.transports import channels_for, smtp_from_url
from tests.smtp_sink import LocalController, SmtpSink
from tests.support import wait_until


def _self_signed(folder) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                  critical=False)
                   .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "smtp.crt", folder / "smtp.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


class _Authenticator:
    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"alumnet" and auth_data.password == b"s3cret"
        return AuthResult(success=ok, handled=False)


@pytest.fixture
def secure_server(tmp_path):
    cert, key = _self_signed(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    sink = SmtpSink()
    controller = LocalController(sink, tls_context=server_context, require_starttls=True, auth_required=True,
                                 auth_require_tls=True, authenticator=_Authenticator())
    controller.start()
    yield sink, controller.port, cert
    controller.stop()


def message():
    return build_message(sender="Alumni <alumni@mu-plovdiv.bg>", to="maria@example.bg", subject="Тест",
                         text="Здравейте", html="<p>Здравейте</p>", delivery_id="e:m:email", language="bg")


def mailer(port, cert=None, **options) -> SmtpMailer:
    settings = {"host": "127.0.0.1", "port": port, "starttls": True, "username": "alumnet", "password": "s3cret",
                "timeout": 5, **options}
    return SmtpMailer(tls_context=ssl.create_default_context(cafile=cert) if cert else None, **settings)


def test_starttls_and_login_deliver_the_message(secure_server):
    sink, port, cert = secure_server
    sender, sent = mailer(port, cert), message()
    assert sender.send(sent) == sent["Message-ID"]
    sender.close()
    [received] = sink.messages
    assert received["Subject"] == "Тест" and received["To"] == "maria@example.bg"


def test_an_untrusted_certificate_is_refused_as_our_fault(secure_server):
    _, port, _ = secure_server
    with pytest.raises(PermanentFailure) as refused:
        mailer(port).send(message())  # the system's trust store does not know the test's certificate
    assert refused.value.provider_fault and "secure" in str(refused.value)


def test_a_refused_login_is_the_providers_fault(secure_server):
    sink, port, cert = secure_server
    with pytest.raises(PermanentFailure) as refused:
        mailer(port, cert, password="wrong").send(message())
    assert refused.value.provider_fault and sink.messages == []


def test_a_fallback_smtp_server_comes_from_its_url(make_config):
    fallback = smtp_from_url("smtp://user%40x:p%3Ass@smtp2.example.org:2525?starttls=true", timeout=7)
    assert (fallback.host, fallback.port, fallback.starttls, fallback.username, fallback.password, fallback.timeout) \
        == ("smtp2.example.org", 2525, True, "user@x", "p:ss", 7)
    with pytest.raises(ValueError):
        smtp_from_url("http://smtp2.example.org", timeout=7)
    config = make_config(EMAIL_BACKEND="smtp", SMTP_FALLBACK_URL="smtp://smtp2.example.org",
                         SMS_BACKEND="http", SMS_API_URL="https://sms.example.org/Messages.json",
                         SMS_FALLBACK_API_URL="https://sms2.example.org/Messages.json")
    channels = channels_for(config)
    assert [p.name for p in channels["email"].providers] == ["smtp", "smtp-fallback"]
    assert [p.name for p in channels["sms"].providers] == ["sms", "sms-fallback"]
    assert channels["sms"].idempotent and not channels["email"].idempotent


def test_the_delivery_is_marked_after_the_body_and_before_the_final_dot():
    with SmtpSink() as sink:
        sender = SmtpMailer(host="127.0.0.1", port=sink.port, starttls=False, username="", password="", timeout=5)
        seen_at_begin = []

        def begin(answer):
            def mark():
                seen_at_begin.append(len(sink.messages))
                return answer
            return mark
        # Declined at the last moment: the message stays unterminated and the server drops it.
        with pytest.raises(NotBegun):
            sender.send(message(), begin=begin(False))
        assert sink.messages == [] and seen_at_begin == [0]
        # Accepted: the server has nothing before the dot, the message after it.
        dotted = build_message(sender="Alumni <alumni@mu-plovdiv.bg>", to="maria@example.bg", subject="Точки",
                               text="първи ред\n.\n..и ред с точка", html="<p>.</p>", delivery_id="e:m2:email",
                               language="bg")
        assert sender.send(dotted, begin=begin(True)) == dotted["Message-ID"]
        sender.close()
        assert seen_at_begin == [0, 0] and len(sink.messages) == 1
        assert sink.messages[0].get_body(("plain",)).get_content().splitlines()[1:3] == [".", "..и ред с точка"]


def test_the_final_dot_is_not_held_back_by_nagles_algorithm():
    """The dot goes out alone after the body (the delivery is marked in between): without
    TCP_NODELAY the kernel holds it until the server ACKs the body, which the server delays
    (40 ms on Linux) having nothing to answer yet; ``bench/notifications.py`` showed senders
    waiting there most (65 -> 86 emails/s with it off, welcome p50 86 -> 39 ms)."""
    with SmtpSink() as sink:
        sender = plain_mailer(sink.port)
        assert sender.send(message(), begin=lambda: True)
        assert sender._smtp.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        sender.close()
        assert len(sink.messages) == 1


class _ServerTrace:
    """What aiosmtpd itself logs of a conversation: each line it read as message content, and
    the end of a connection in the middle of DATA."""

    def __init__(self, caplog):
        caplog.set_level(logging.DEBUG, logger="mail.log")
        self.caplog = caplog

    def _lines(self, prefix: str) -> list[str]:
        return [r.getMessage() for r in self.caplog.records if r.name == "mail.log" and r.getMessage().startswith(prefix)]

    def read_as_content(self) -> list[str]:
        return self._lines("DATA readline")

    def abandoned_in_data(self) -> int:
        return len(self._lines("Connection lost during DATA"))


def plain_mailer(port: int) -> SmtpMailer:
    return SmtpMailer(host="127.0.0.1", port=port, starttls=False, username="", password="", timeout=5)


def test_a_message_declined_mid_data_is_abandoned_without_a_word_and_never_accepted(caplog):
    trace = _ServerTrace(caplog)
    with SmtpSink() as sink:
        sender = plain_mailer(sink.port)
        with pytest.raises(NotBegun):
            sender.send(message(), begin=lambda: False)
        wait_until(trace.abandoned_in_data, message="the server to see the message abandoned mid-DATA")
        # Nothing after the body: a QUIT here would be read as one more line of the message.
        assert not [line for line in trace.read_as_content() if "QUIT" in line.upper()]
        assert sink.messages == []


def test_a_message_whose_delivery_could_not_be_marked_is_abandoned_and_the_next_one_goes_alone(caplog):
    trace = _ServerTrace(caplog)
    with SmtpSink() as sink:
        sender = plain_mailer(sink.port)

        def store_down() -> bool:
            raise ConnectionError("the store is unreachable")
        with pytest.raises(ConnectionError):
            sender.send(message(), begin=store_down)
        wait_until(trace.abandoned_in_data, message="the server to see the message abandoned mid-DATA")
        following = build_message(sender="Alumni <alumni@mu-plovdiv.bg>", to="ivan@example.bg", subject="Второ",
                                  text="Здравейте", html="<p>Здравейте</p>", delivery_id="e:m3:email", language="bg")
        assert sender.send(following) == following["Message-ID"]
        sender.close()
        assert [m["To"] for m in sink.messages] == ["ivan@example.bg"]
        # No command of the next message was read as content of the abandoned one.
        assert not [line for line in trace.read_as_content() if "MAIL FROM" in line.upper() or "QUIT" in line.upper()]


@pytest.mark.parametrize("subject", [
    "Анкета на Алумни клуба: Къде сте днес?",
    "Покана: Годишна среща на випуск 2006 на Медицинския факултет — събота, 12 декември, Пловдив",
])
def test_a_long_cyrillic_subject_arrives_with_every_space(subject):
    """CPython folds long non-ASCII headers into encoded words split at a space, and decoders
    drop that space; the wire policy must not fold a subject."""
    with SmtpSink() as sink:
        sender = SmtpMailer(host="127.0.0.1", port=sink.port, starttls=False, username="", password="", timeout=5)
        sent = build_message(sender="Alumni <alumni@mu-plovdiv.bg>", to="maria@example.bg", subject=subject,
                             text="текст", html="<p>текст</p>", delivery_id="e:m3:email", language="bg")
        sender.send(sent, begin=lambda: True)
        sender.close()
        assert [m["Subject"] for m in sink.messages] == [subject]
