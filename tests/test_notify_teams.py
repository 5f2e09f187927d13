"""Microsoft Teams delivery through Apprise's Power Automate Workflows plugin, to a real
HTTPS server on 127.0.0.1 with a trustme certificate."""

from __future__ import annotations

import json
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
import trustme
from conftest import as_user
from factories import submitted_audit

from core.escalation import escalate
from core.outbox import list_outbox
from notify.delivery import deliver_pending


class Workflows:
    """An HTTPS endpoint that records each post; ``status`` is what it answers."""

    def __init__(self):
        self.posts: list[dict] = []
        self.status = 202
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        cert.configure_cert(context)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers["Content-Length"])
                url = urlsplit(self.path)
                outer.posts.append({"path": url.path, "query": parse_qs(url.query),
                                    "json": json.loads(self.rfile.read(length))})
                self.send_response(outer.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, workflow="WORKFLOW", signature="SIGNATURE") -> str:
        return f"workflows://127.0.0.1:{self.port}/{workflow}/{signature}?verify=no"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def teams():
    server = Workflows()
    yield server
    server.close()


def _set_teams(ctx, login, address):
    with ctx.tx() as tx:
        tx.execute("UPDATE people SET teams_address = ? WHERE login = ?", [address, login])


def _card_text(post) -> str:
    card = post["json"]["attachments"][0]["content"]
    return json.dumps(card, ensure_ascii=False)


def test_escalation_alert_arrives_as_an_adaptive_card(ctx, teams):
    audit = submitted_audit(ctx)
    _set_teams(ctx, "m1", teams.url())
    with ctx.tx() as tx:  # only the escalation is under test here
        tx.execute("UPDATE outbox SET status = 'sent'")
    esc = escalate(as_user(ctx, "aud1"), audit.audit_id, "Bruising seen on video call, not followed up")
    assert deliver_pending(ctx) == {"delivered": 1, "failed": 0, "dead": 0}
    [post] = teams.posts
    assert post["path"] == "/workflows/WORKFLOW/triggers/manual/paths/invoke"
    assert post["query"]["sig"] == ["SIGNATURE"]
    body = post["json"]
    assert body["type"] == "message"
    assert body["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    text = _card_text(post)
    assert "URGENT: concern about child C1 (A.E.)" in text
    assert "Bruising seen on video call" in text
    assert "Tue 28 Apr 2020 10:00" in text  # respond-by, London time
    assert "Alex" not in text
    [row] = [r for r in list_outbox(ctx) if r.entity == "escalation" and r.entity_id == str(esc.escalation_id)]
    assert row.status == "sent" and row.sent_at == "2020-04-27T09:00:00Z"


def test_many_messages_to_one_address_are_not_throttled_or_lost(ctx, teams):
    audit = submitted_audit(ctx)
    _set_teams(ctx, "aud1", teams.url())
    with ctx.tx() as tx:
        tx.execute("UPDATE outbox SET status = 'sent'")
    from core.comments import add_comment

    for i in range(3):
        add_comment(as_user(ctx, "w1"), audit.audit_id, f"comment {i}")
    assert deliver_pending(ctx)["delivered"] == 3
    assert len(teams.posts) == 3


def test_a_refusing_endpoint_is_retried_later_and_delivered_once(ctx, teams):
    submitted_audit(ctx)
    for login in ("w1", "m1"):
        _set_teams(ctx, login, teams.url())
    teams.status = 500
    assert deliver_pending(ctx) == {"delivered": 0, "failed": 2, "dead": 0}
    errors = {r.last_error for r in list_outbox(ctx)}
    assert len(errors) == 1 and "SIGNATURE" not in errors.pop()  # the signature is a secret
    teams.status = 200
    ctx.clock.advance(minutes=5)
    assert deliver_pending(ctx)["delivered"] == 2
    ctx.clock.advance(hours=1)
    assert deliver_pending(ctx)["delivered"] == 0
    assert len(teams.posts) == 4  # two refused, two accepted, none twice


def test_email_and_teams_together_and_partial_delivery_is_not_resent(ctx, teams):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]
    ctx.settings.notify.email_url = f"mailto://127.0.0.1:{dead_port}?from=noreply@example.org"
    submitted_audit(ctx)
    _set_teams(ctx, "w1", teams.url())
    _set_teams(ctx, "m1", teams.url())
    counts = deliver_pending(ctx)
    # Teams reached them though the mail server is down: sent, and the error kept for the record
    assert counts["delivered"] == 2
    rows = list_outbox(ctx)
    assert all(r.status == "sent" and r.last_error.startswith("E-Mail") for r in rows)
    ctx.clock.advance(hours=2)
    assert deliver_pending(ctx)["delivered"] == 0
    assert len(teams.posts) == 2


class Webhook:
    """A plain-HTTP endpoint (Apprise json://) recording posts by path."""

    def __init__(self):
        self.posts: list[tuple[str, dict]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers["Content-Length"])
                outer.posts.append((self.path, json.loads(self.rfile.read(length))))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_an_apprise_config_routes_by_login_tag_only(ctx, tmp_path):
    hook = Webhook()
    try:
        config = tmp_path / "apprise.yml"
        config.write_text(
            "urls:\n"
            f"  - json://127.0.0.1:{hook.port}/pdt-channel:\n"
            "      tag: pdt1, pdt2\n"
            f"  - json://127.0.0.1:{hook.port}/hos-phone:\n"
            "      tag: hos1\n")
        ctx.settings.notify.apprise_config = config
        submitted_audit(ctx, data=None)
        with ctx.tx() as tx:
            tx.execute("UPDATE outbox SET status = 'sent'")
        from core.tick import tick

        ctx.clock.advance(days=14)
        assert tick(ctx).reviews_due == [1]
        assert deliver_pending(ctx)["delivered"] == 1
        [(path, body)] = hook.posts
        assert path == "/pdt-channel"
        assert body["title"] == "Action review due: QA audit 1 (child C1 (A.E.))"
    finally:
        hook.close()
