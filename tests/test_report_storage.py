"""Stored reports' renderings compressed (m011c): a report shows and is delivered exactly
as sent, whether it was stored compressed or, before m011c, as JSON text that the
migration compresses in place."""

from __future__ import annotations

import json

import report_data as rd
from conftest import as_user

from core.context import Context
from core.reports import send_report, sent_message, show_stored
from core.store import Store
from core.store import reports as q
from core.store.database import applied_migrations

FORMATS = ("txt", "md", "html", "csv", "json")


def _shown(ctx: Context, report_id: int) -> dict:
    reader = as_user(ctx, "smt1")
    return {fmt: show_stored(reader, report_id, fmt) for fmt in FORMATS} | {"sent": sent_message(ctx, report_id)}


def test_a_report_is_stored_compressed_and_shows_as_sent(ctx):
    rd.build(ctx)
    sent = send_report(as_user(ctx, "admin1"), "smt", rd.PERIOD)
    row = ctx.store.one("SELECT typeof(renders) AS kind, length(renders) AS size, typeof(model) AS model"
                        " FROM reports WHERE report_id = ?", [sent.report_id])
    assert (row["kind"], row["model"]) == ("blob", "text")  # the model stays readable (content_hash is its sha256)
    renders = q.get_report(ctx.store, sent.report_id)["renders"]
    assert set(renders) == {"txt", "md", "html", "csv"}
    assert row["size"] * 5 < len(json.dumps(renders).encode())
    shown = _shown(ctx, sent.report_id)
    assert {fmt: shown[fmt] for fmt in ("txt", "md", "html", "csv")} == renders
    assert shown["sent"]["html"] == renders["html"] and shown["sent"]["csv"] == renders["csv"]


def test_the_migration_compresses_reports_stored_as_text(ctx, db_path):
    rd.build(ctx)
    first = send_report(as_user(ctx, "admin1"), "smt", rd.PERIOD).report_id
    second = send_report(as_user(ctx, "admin1"), "weekly").report_id
    expected = {rid: _shown(ctx, rid) for rid in (first, second)}
    # back to how they were stored before m011c: the renderings' JSON as text
    with ctx.tx() as tx:
        for rid in (first, second):
            text = tx.scalar("SELECT renders FROM reports WHERE report_id = ?", [rid])
            tx.execute("UPDATE reports SET renders = ? WHERE report_id = ?",
                       [json.dumps(q.unpack_renders(text), ensure_ascii=False), rid])
        tx.execute("DELETE FROM _sqlite_migrations WHERE name = 'm011c_report_renders'")
    assert ctx.store.scalar("SELECT COUNT(*) FROM reports WHERE typeof(renders) = 'text'") == 2
    assert {rid: _shown(ctx, rid) for rid in (first, second)} == expected  # both forms read back the same
    ctx.store.close()

    store = Store.open(db_path)
    assert "m011c_report_renders" in applied_migrations(store.db.conn)
    assert store.scalar("SELECT COUNT(*) FROM reports WHERE typeof(renders) = 'blob'") == 2
    again = Context(store=store, clock=ctx.clock, settings=ctx.settings, user=ctx.user, os_login=ctx.os_login)
    assert {rid: _shown(again, rid) for rid in (first, second)} == expected
    store.close()
