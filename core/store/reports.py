"""Reports' SQL: aggregate queries over the audit trail, and the stored (sent) reports.

Every figure is counted in SQL (GROUP BY), never by looping over audits in Python.
Periods are half-open ``[start, end)`` over UTC ISO text, which sorts as time.

"As at" figures (actions open / overdue, reviews due, escalations open) are rebuilt
for an instant ``t`` from what the trail keeps, so a report for a past period reads
as it would have then:

- an action is open at ``t`` when its audit was submitted before ``t`` and no review
  closed it (completed / not needed) before ``t``; its due date at ``t`` is the new
  due date of the latest "not completed" review before ``t``, else the date it was
  set with (the first review's event keeps it), else its due date now;
- an escalation is open at ``t`` when raised before ``t`` and not closed before
  ``t``; it is with the Head of Service when referred before ``t``; it is awaiting a
  response unless one was recorded before ``t`` (and after its referral).

Only actions that are open now, or were closed at or after ``t``, can have been open
at ``t``: the queries start from those two small sets, not from every action. The
queries read covering indexes (m004_reports), never the wide audit rows (each holds
its programme snapshot); ``INDEXED BY`` holds each to its index whether or not the
database has been ANALYZEd. Per-audit figures (standards met, rated, misses) are the
audit's summary columns (m009_audit_summaries, kept equal to its ratings by triggers)
and per-standard figures read the ratings by submission time: a report over every
audit reads one index entry per audit and one per rating, and sorts none of the ratings.
Its groupings sort nothing either (m013r_report_groupings): a period of most audits
reads them in (team, worker) order, programme versions and auditors are stepped from
key to key, each counted over its range of the period.
"""

from __future__ import annotations

import json
import math
import zlib

from ..clock import from_iso
from .audits import programme_json
from .database import Reader, Tx

SUBMITTED = "a.submitted_at >= :start AND a.submitted_at < :end"
CLOSING = "('completed', 'not_needed')"


# --- audits and ratings in a period -------------------------------------------------
# Each audit's summary (m009: standards met, rated with not applicable left out, and any
# not met or not applicable, kept equal to its ratings by triggers) is read from the
# covering index by submission time: one index entry per audit, never its ratings.


# A period holding at least this share of the submitted audits' time span (as if they were
# spread evenly over it) is grouped by (team, worker) reading every submitted audit in that
# order from ``audits_by_worker`` (m013r: no sort, ~0.4 us an audit); a shorter one sorts its
# own audits from ``audits_period`` (~1.3 us an audit in the period). Both give the same rows.
WHOLE_SHARE = 0.25


def most_audits(r: Reader, start: str, end: str) -> bool:
    """Whether ``[start, end)`` spans at least ``WHOLE_SHARE`` of the time from the first
    submission to the last (two index look-ups)."""
    span = r.rows("SELECT (SELECT MIN(submitted_at) FROM audits INDEXED BY audits_period"
                  " WHERE submitted_at IS NOT NULL), (SELECT MAX(submitted_at) FROM audits"
                  " INDEXED BY audits_period)")
    first, last = span[0] if span else (None, None)  # (a reader that only explains its queries)
    if first is None:
        return False
    try:
        lo, hi = from_iso(max(start, first)), from_iso(min(end, last))
        whole = (from_iso(last) - from_iso(first)).total_seconds()
    except (TypeError, ValueError):  # a time a script stored in another form: the plan that reads no span
        return False
    return hi >= lo and (hi - lo).total_seconds() >= WHOLE_SHARE * whole


def audit_groups(r: Reader, start: str, end: str, *, actions: bool = False,
                 whole: bool | None = None) -> list[dict]:
    """Per (team, worker), by team then worker: audits submitted in the period, audits
    with every standard met or not applicable, standards met and standards rated (not
    applicable left out); with ``actions``, also the actions raised on them.

    ``whole`` (default: ``most_audits``) reads every submitted audit in (team, worker)
    order rather than sorting the period's; the rows are the same either way."""
    names = ("audits", "all_met", "met", "rated", "actions")[:5 if actions else 4]
    params = {"start": start, "end": end}
    if not (most_audits(r, start, end) if whole is None else whole):
        rows = r.rows(
            f"""
            SELECT COALESCE(a.team, ''), COALESCE(a.worker, ''), COUNT(*), SUM(a.misses = 0), SUM(a.met),
                   SUM(a.rated), SUM(a.n_actions)
              FROM audits a INDEXED BY audits_period WHERE {SUBMITTED}
             GROUP BY COALESCE(a.team, ''), COALESCE(a.worker, '')
            """,
            params,
        )
        return [{"team": row[0], "worker": row[1], **dict(zip(names, row[2:2 + len(names)], strict=True))} for row in rows]
    merged: dict[tuple[str, str], list[int]] = {}
    for team, worker, *figures in r.rows(
        f"""
        SELECT a.team, a.worker, COUNT(*), SUM(a.misses = 0), SUM(a.met), SUM(a.rated), SUM(a.n_actions)
          FROM audits a INDEXED BY audits_by_worker WHERE a.submitted_at IS NOT NULL AND {SUBMITTED}
         GROUP BY a.team, a.worker
        """,
        params,
    ):
        key = (team or "", worker or "")  # no team (or worker) and '' are one group, as COALESCE makes them
        if key in merged:
            merged[key] = [x + y for x, y in zip(merged[key], figures, strict=True)]
        else:
            merged[key] = figures
    return [{"team": team, "worker": worker, **dict(zip(names, figures[:len(names)], strict=True))}
            for (team, worker), figures in sorted(merged.items())]


def standard_counts(r: Reader, start: str, end: str) -> list[dict]:
    """Per standard: how many audits in the period rated it met, partly met, not met, n/a,
    by standard id.

    Read from ``ratings_period`` (m011: a submitted audit's ratings by standard key,
    rating, then submission time as Unix seconds), with no sort: the standards are found
    by stepping from one key to the next in the index, and each (standard, rating) in the
    period is one range of it, counted. A standard whose ratings in the period are all
    blank (unrated by an amendment) is listed with zeros, as a join over its rows would."""
    return r.query(
        f"""
        WITH RECURSIVE sk(k) AS (
            SELECT MIN(standard_key) FROM rating_rows INDEXED BY ratings_period WHERE submitted_unix IS NOT NULL
            UNION ALL
            SELECT (SELECT MIN(rt.standard_key) FROM rating_rows rt INDEXED BY ratings_period
                     WHERE rt.submitted_unix IS NOT NULL AND rt.standard_key > sk.k)
              FROM sk WHERE sk.k IS NOT NULL),
        n AS MATERIALIZED (
            SELECT k, {_count("= 'met'")} AS met, {_count("= 'partly_met'")} AS partly_met,
                   {_count("= 'not_met'")} AS not_met, {_count("= 'not_applicable'")} AS not_applicable,
                   {_count("IS NULL")} AS unrated
              FROM sk WHERE k IS NOT NULL)
        SELECT s.standard_id, n.met, n.partly_met, n.not_met, n.not_applicable
          FROM n JOIN standard_keys s ON s.standard_key = n.k
         WHERE n.met + n.partly_met + n.not_met + n.not_applicable + n.unrated > 0
         ORDER BY s.standard_id
        """,
        {"start": unix_bound(start), "end": unix_bound(end)},
    )


def _count(rating: str) -> str:
    """The period's ratings of standard ``sk.k`` whose rating is ``rating`` (an index range)."""
    return f"""(SELECT COUNT(*) FROM rating_rows INDEXED BY ratings_period WHERE standard_key = sk.k
                 AND rating {rating} AND submitted_unix >= :start AND submitted_unix < :end)"""


def unix_bound(t: str) -> int:
    """A period's bound (UTC ISO) as Unix seconds, for ``rating_rows.submitted_unix``:
    rounded up, so that ``unix >= bound`` holds exactly when ``submitted_at >= t`` does
    (submission times are whole seconds)."""
    return math.ceil(from_iso(t).timestamp())


def programmes_used(r: Reader, start: str, end: str) -> list[str]:
    """The programme snapshots (JSON) the period's audits were done with, one per
    programme version (that of its latest audit in the period), the most used first.

    The versions are found by stepping from one key of ``audits_by_programme`` to the
    next (a few of them), and each is counted over its range of the period: no sort."""
    groups = r.rows(
        f"""
        WITH RECURSIVE v(id, version) AS (
            SELECT * FROM (SELECT programme_id, programme_version FROM audits INDEXED BY audits_by_programme
                            WHERE submitted_at IS NOT NULL ORDER BY programme_id, programme_version LIMIT 1)
            UNION ALL
            SELECT {_next_programme("programme_id")}, {_next_programme("programme_version")}
              FROM v WHERE v.id IS NOT NULL),
        n AS MATERIALIZED (
            SELECT (SELECT MAX(a.audit_id) FROM audits a INDEXED BY audits_by_programme
                     WHERE a.submitted_at IS NOT NULL AND a.programme_id = v.id
                       AND a.programme_version = v.version AND {SUBMITTED}) AS audit_id,
                   (SELECT COUNT(*) FROM audits a INDEXED BY audits_by_programme
                     WHERE a.submitted_at IS NOT NULL AND a.programme_id = v.id
                       AND a.programme_version = v.version AND {SUBMITTED}) AS n
              FROM v WHERE v.id IS NOT NULL)
        SELECT audit_id FROM n WHERE n > 0 ORDER BY n DESC, audit_id
        """,
        {"start": start, "end": end},
    )
    return [programme_json(r, audit_id) for (audit_id,) in groups]


def _next_programme(column: str) -> str:
    """``column`` of the (programme, version) after ``v``'s among submitted audits: the
    next version of the same programme, else the next programme's first version."""
    after = "x.submitted_at IS NOT NULL AND x.programme_id"
    version = f"""(SELECT MIN(x.programme_version) FROM audits x INDEXED BY audits_by_programme
                   WHERE {after} = v.id AND x.programme_version > v.version)"""
    programme = f"(SELECT MIN(x.programme_id) FROM audits x INDEXED BY audits_by_programme WHERE {after} > v.id)"
    if column == "programme_id":
        return f"(CASE WHEN {version} IS NOT NULL THEN v.id ELSE {programme} END)"
    return f"""COALESCE({version}, (SELECT MIN(x.programme_version) FROM audits x INDEXED BY audits_by_programme
                                    WHERE {after} = {programme}))"""


def actions_completed(r: Reader, start: str, end: str) -> int:
    """Reviews recording an action completed in the period (the actions raised come from
    ``audit_groups(actions=True)``)."""
    return r.scalar(
        "SELECT COUNT(*) FROM action_reviews INDEXED BY action_reviews_at"
        " WHERE at >= :start AND at < :end AND outcome = 'completed'",
        {"start": start, "end": end},
    )


# --- actions as at an instant ---------------------------------------------------------
# Actions that may have been open at any instant >= :since (open now, or closed since),
# with when they were closed, the latest "not completed" review, and their audit's facts.
_ACTION_BASE = f"""
    cand AS (
        SELECT ac.action_id, ac.audit_id, ac.due, ac.review_due_at, NULL AS closed_at
          FROM actions ac INDEXED BY actions_open_now WHERE ac.status = 'open'
        UNION ALL
        SELECT ac.action_id, ac.audit_id, ac.due, ac.review_due_at, rv.at
          FROM action_reviews rv INDEXED BY action_reviews_at
          JOIN actions ac ON ac.action_id = rv.action_id
         WHERE rv.at >= :since AND rv.outcome IN {CLOSING}),
    nc AS MATERIALIZED (
        SELECT action_id, MAX(review_id) AS last_nc FROM action_reviews INDEXED BY action_reviews_not_completed
         WHERE outcome = 'not_completed' GROUP BY action_id),
    base AS MATERIALIZED (
        SELECT c.action_id, c.due, c.review_due_at AS action_review_due, c.closed_at, nc.last_nc,
               a.review_due_at AS audit_review_due, a.submitted_at,
               COALESCE(a.team, '') AS team, COALESCE(a.worker, '') AS worker
          FROM cand c
          JOIN audits a INDEXED BY audits_facts ON a.audit_id = c.audit_id
          LEFT JOIN nc ON nc.action_id = c.action_id
         WHERE a.submitted_at IS NOT NULL AND a.submitted_at < :until)
"""


# The due date an action was set with, for one a "not completed" review changed since: read
# from the trail only where the due date as at an instant needs it (before any such review),
# as COALESCE stops at its first value that is not NULL.
_FIRST_DUE = """COALESCE((SELECT json_extract(e.before, '$.due') FROM events e WHERE e.entity = 'action'
                           AND e.entity_id = CAST(b.action_id AS TEXT) AND e.action = 'reviewed'
                         ORDER BY e.event_id LIMIT 1), b.due)"""


def _latest_nc(t: str, column: str) -> str:
    """``column`` of the action's latest "not completed" review before ``t`` (index only)."""
    return f"""(SELECT rv.{column} FROM action_reviews rv INDEXED BY action_reviews_not_completed
                 WHERE rv.action_id = b.action_id AND rv.outcome = 'not_completed' AND rv.at < {t}
                 ORDER BY rv.at DESC, rv.review_id DESC LIMIT 1)"""


def _due_at(t: str) -> str:
    """An action's due date as at ``t`` (a SQL expression over ``b``)."""
    return f"(CASE WHEN b.last_nc IS NULL THEN b.due ELSE COALESCE({_latest_nc(t, 'new_due')}, {_FIRST_DUE}) END)"


def _review_due_at(t: str) -> str:
    """When an action's PDT review was due as at ``t``: the audit's (submitted + 14 days)
    until a "not completed" review moves it to the new due date. When that review is
    the latest, the action row holds the exact time; an earlier one (later superseded)
    is read as 09:00 UTC of its new due date, within an hour of 09:00 London."""
    latest = _latest_nc(t, "review_id")
    return f"""(CASE WHEN b.last_nc IS NULL THEN b.audit_review_due
        WHEN {latest} IS NULL THEN b.audit_review_due
        WHEN {latest} = b.last_nc THEN b.action_review_due
        ELSE {_latest_nc(t, 'new_due')} || 'T09:00:00Z' END)"""


def actions_as_at(r: Reader, t: str, t_day: str, day_start: str,
                  ends: list[tuple[str, str]] = ()) -> tuple[list[dict], dict[int, int]]:
    """Actions as at ``t``, per (team, worker): open, overdue (due before ``t_day``, the
    London date of ``t``), PDT reviews due (fallen due by ``t``) and overdue (fallen due
    before ``day_start``, the London midnight starting ``t_day``).

    With ``ends`` (instant, its London date) also the actions overdue as at each of them
    (the weekly trend), in the same statement over the same candidates: ({index: n})."""
    ends = list(ends)
    weeks, params = _weeks_cte(ends or [(t, t_day)], "t, t_day")
    params |= {"since": min([t, *(e for e, _ in ends)]), "until": max([t, *(e for e, _ in ends)]),
               "t": t, "t_day": t_day, "day_start": day_start}
    trend = f"""
        UNION ALL
        SELECT 'week', w.i, NULL, COUNT(*), 0, 0, 0 FROM w JOIN base b
            ON b.submitted_at < w.t AND (b.closed_at IS NULL OR b.closed_at >= w.t)
         WHERE {_due_at('w.t')} < w.t_day
         GROUP BY w.i""" if ends else ""
    rows = r.rows(
        f"""
        WITH {_ACTION_BASE}, {weeks},
        st AS (SELECT b.team, b.worker, {_due_at(':t')} AS due_then, {_review_due_at(':t')} AS review_then
                 FROM base b WHERE b.submitted_at < :t AND (b.closed_at IS NULL OR b.closed_at >= :t))
        SELECT 'group', team, worker, COUNT(*), COALESCE(SUM(due_then < :t_day), 0),
               COALESCE(SUM(review_then <= :t), 0), COALESCE(SUM(review_then < :day_start), 0)
          FROM st GROUP BY team, worker
        {trend}
        """,
        params,
    )
    groups = [dict(zip(("team", "worker", "open", "overdue", "reviews_due", "reviews_overdue"), row[1:],
                       strict=True)) for row in rows if row[0] == "group"]
    return groups, {row[1]: row[3] for row in rows if row[0] == "week"}


def _weeks_cte(weeks: list[tuple], columns: str) -> tuple[str, dict]:
    rows, params = [], {}
    for i, values in enumerate(weeks):
        names = []
        for j, v in enumerate(values):
            params[f"w{i}_{j}"] = v
            names.append(f":w{i}_{j}")
        rows.append(f"({i}, {', '.join(names)})")
    return f"w(i, {columns}) AS (VALUES {', '.join(rows)})", params


def audits_by_week(r: Reader, weeks: list[tuple[str, str]]) -> dict[int, dict]:
    """Per week ``[start, end)``: audits, all met, standards met and rated: {index: row}."""
    if not weeks:
        return {}
    cte, params = _weeks_cte(weeks, "s, e")
    rows = r.query(
        f"""
        WITH {cte}
        SELECT w.i, COUNT(*) AS audits, SUM(a.misses = 0) AS all_met, SUM(a.met) AS met, SUM(a.rated) AS rated
          FROM w JOIN audits a INDEXED BY audits_period ON a.submitted_at >= w.s AND a.submitted_at < w.e
         GROUP BY w.i
        """,
        params,
    )
    return {row["i"]: row for row in rows}


def escalations_raised_by_week(r: Reader, weeks: list[tuple[str, str]]) -> dict[int, int]:
    if not weeks:
        return {}
    cte, params = _weeks_cte(weeks, "s, e")
    rows = r.query(
        f"""
        WITH {cte}
        SELECT w.i, COUNT(e.escalation_id) AS n FROM w
          JOIN escalations e INDEXED BY escalations_raised ON e.raised_at >= w.s AND e.raised_at < w.e
         GROUP BY w.i
        """,
        params,
    )
    return {row["i"]: row["n"] for row in rows}


# --- escalations, queries, samples --------------------------------------------------
def escalations_as_at(r: Reader, start: str, t: str) -> list[dict]:
    """Escalations open at ``t`` or raised in ``[start, t)``, with their level, respond-by
    and status (open | responded | closed) as at ``t``; the soonest respond-by first."""
    return r.query(
        """
        SELECT e.escalation_id, e.child_id, c.name AS child_name,
               COALESCE(a.team, '') AS team, COALESCE(a.worker, '') AS worker, e.raised_at,
               CASE WHEN e.referred_at IS NOT NULL AND e.referred_at < :t
                    THEN 'head_of_service' ELSE 'manager' END AS level,
               CASE WHEN e.referred_at IS NOT NULL AND e.referred_at >= :t
                    THEN COALESCE((SELECT json_extract(ev.after, '$.respond_by') FROM events ev
                                    WHERE ev.entity = 'escalation'
                                      AND ev.entity_id = CAST(e.escalation_id AS TEXT)
                                      AND ev.action = 'raised' ORDER BY ev.event_id LIMIT 1),
                                  e.respond_by)
                    ELSE e.respond_by END AS respond_by,
               CASE WHEN e.closed_at IS NOT NULL AND e.closed_at < :t THEN 'closed'
                    WHEN EXISTS (SELECT 1 FROM escalation_steps s
                                  WHERE s.escalation_id = e.escalation_id AND s.kind = 'responded'
                                    AND s.at < :t AND (e.referred_at IS NULL OR e.referred_at >= :t
                                                       OR s.at >= e.referred_at)) THEN 'responded'
                    ELSE 'open' END AS status,
               e.raised_at >= :start AS raised_in_period
          FROM escalations e
          JOIN audits a ON a.audit_id = e.audit_id
          LEFT JOIN children c ON c.child_id = e.child_id
         WHERE e.raised_at < :t AND (e.closed_at IS NULL OR e.closed_at >= :t OR e.raised_at >= :start)
         ORDER BY e.respond_by, e.escalation_id
        """,
        {"start": start, "t": t},
    )


def open_queries(r: Reader, t: str) -> int:
    """Queries open at ``t``: raised before it and not resolved by then."""
    return r.scalar(
        "SELECT COUNT(*) FROM comments WHERE is_query = 1 AND created_at < :t"
        " AND (resolved_at IS NULL OR resolved_at >= :t)", {"t": t})


def sample_progress(r: Reader, start: str, end: str, t: str) -> list[dict]:
    """Per auditor: children drawn for them in the period, audits they submitted in it,
    and drawn children not audited as at ``t`` (cancelled items left out)."""
    return r.query(
        f"""
        WITH RECURSIVE
        qk(k) AS (SELECT MIN(auditor) FROM queue_items INDEXED BY queue_items_by_auditor
                  UNION ALL
                  SELECT (SELECT MIN(q.auditor) FROM queue_items q INDEXED BY queue_items_by_auditor
                           WHERE q.auditor > qk.k) FROM qk WHERE qk.k IS NOT NULL),
        qn(who, n) AS MATERIALIZED (
            SELECT k, (SELECT COUNT(*) FROM queue_items q INDEXED BY queue_items_by_auditor
                        WHERE q.auditor = qk.k AND q.created_at >= :start AND q.created_at < :end)
              FROM qk WHERE k IS NOT NULL
            UNION ALL
            SELECT '', (SELECT COUNT(*) FROM queue_items q INDEXED BY queue_items_by_auditor
                         WHERE q.auditor IS NULL AND q.created_at >= :start AND q.created_at < :end)),
        drawn AS (SELECT who, SUM(n) AS n FROM qn WHERE n > 0 GROUP BY who),
        ak(k) AS (SELECT MIN(auditor) FROM audits INDEXED BY audits_by_auditor WHERE submitted_at IS NOT NULL
                  UNION ALL
                  SELECT (SELECT MIN(a.auditor) FROM audits a INDEXED BY audits_by_auditor
                           WHERE a.submitted_at IS NOT NULL AND a.auditor > ak.k) FROM ak WHERE ak.k IS NOT NULL),
        an(who, n) AS MATERIALIZED (
            SELECT k, (SELECT COUNT(*) FROM audits a INDEXED BY audits_by_auditor
                        WHERE a.submitted_at IS NOT NULL AND a.auditor = ak.k AND {SUBMITTED})
              FROM ak WHERE k IS NOT NULL),
        audited AS (SELECT who, n FROM an WHERE n > 0),
        outstanding AS (
            SELECT who, COUNT(*) AS n FROM (
                SELECT COALESCE(claimed_by, auditor, '') AS who FROM queue_items INDEXED BY queue_items_status
                 WHERE status IN ('queued', 'claimed', 'in_progress') AND created_at < :t
                UNION ALL
                SELECT COALESCE(q.claimed_by, q.auditor, '') FROM audits a INDEXED BY audits_period
                  JOIN queue_items q ON q.queue_id = a.queue_id
                 WHERE a.submitted_at >= :t AND q.status = 'done' AND q.created_at < :t)
             GROUP BY who),
        who AS (SELECT who FROM drawn UNION SELECT who FROM audited UNION SELECT who FROM outstanding)
        SELECT who.who AS auditor, COALESCE(d.n, 0) AS drawn, COALESCE(au.n, 0) AS audited,
               COALESCE(o.n, 0) AS outstanding
          FROM who LEFT JOIN drawn d ON d.who = who.who LEFT JOIN audited au ON au.who = who.who
          LEFT JOIN outstanding o ON o.who = who.who
         ORDER BY who.who
        """,
        {"start": start, "end": end, "t": t},
    )


def names_of(r: Reader, logins: list[str]) -> dict[str, str]:
    """Directory names for these logins (those in the directory)."""
    wanted = sorted({x for x in logins if x})
    out: dict[str, str] = {}
    for i in range(0, len(wanted), 500):
        chunk = wanted[i:i + 500]
        rows = r.query(f"SELECT login, name FROM people WHERE login IN ({','.join('?' * len(chunk))})", chunk)
        out.update({row["login"]: row["name"] for row in rows})
    return out


def people_with_role(r: Reader, role: str) -> list[dict]:
    """Active people holding ``role``, by login."""
    return r.query(
        "SELECT login, name, email, teams_address FROM people WHERE active = 1"
        " AND EXISTS (SELECT 1 FROM json_each(people.roles) WHERE value = ?) ORDER BY login", [role])


# --- stored reports -------------------------------------------------------------------
# A stored report keeps its model (the JSON format, as sent: ``content_hash`` is its sha256)
# as text, and its other renderings as sent (``renders``: format -> text) as JSON
# compressed with zlib (m011c: an SMT report's HTML and CSV ran to megabytes a report).
# Rows stored before then hold that JSON uncompressed; both read back the same.
_COLUMNS = ("kind", "slot", "period_from", "period_to", "generated_at", "generated_by", "trigger",
            "recipients", "content_hash", "model", "renders")


def pack_renders(renders: dict) -> bytes:
    """``reports.renders`` as stored: the JSON of format -> text, compressed."""
    return zlib.compress(json.dumps(renders, ensure_ascii=False).encode("utf-8"), 6)


def unpack_renders(value: bytes | str | None) -> dict:
    """``reports.renders`` as stored (compressed, or JSON text from before m011c) to a dict."""
    if isinstance(value, bytes):
        value = zlib.decompress(value).decode("utf-8")
    return json.loads(value or "{}")


def insert_report(tx: Tx, row: dict) -> int:
    values = [json.dumps(row[c], ensure_ascii=False) if c == "recipients" else pack_renders(row[c])
              if c == "renders" else row[c] for c in _COLUMNS]
    cur = tx.execute(f"INSERT INTO reports ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})",
                     values)
    return cur.lastrowid


def _decode(row: dict | None) -> dict | None:
    if row is None:
        return None
    if "recipients" in row:
        row["recipients"] = json.loads(row["recipients"] or "[]")
    if "renders" in row:
        row["renders"] = unpack_renders(row["renders"])
    return row


def report_for_slot(r: Reader, kind: str, slot: str) -> int | None:
    return r.scalar("SELECT report_id FROM reports WHERE kind = ? AND slot = ?", [kind, slot])


def last_scheduled_slot(r: Reader, kind: str) -> str | None:
    return r.scalar("SELECT MAX(slot) FROM reports WHERE kind = ? AND slot IS NOT NULL", [kind])


def first_event_at(r: Reader) -> str | None:
    """When the trail begins: the database's first use."""
    return r.scalar("SELECT at FROM events ORDER BY event_id LIMIT 1")


def get_report(r: Reader, report_id: int) -> dict | None:
    return _decode(r.one("SELECT * FROM reports WHERE report_id = ?", [report_id]))


def list_reports(r: Reader, *, kind: str | None = None, limit: int = 100) -> list[dict]:
    """Stored reports, newest first, without their bodies."""
    sql = ("SELECT report_id, kind, slot, period_from, period_to, generated_at, generated_by, trigger,"
           " recipients, content_hash FROM reports")
    params: list = []
    if kind:
        sql += " WHERE kind = ?"
        params.append(kind)
    sql += " ORDER BY generated_at DESC, report_id DESC LIMIT ?"
    params.append(limit)
    return [_decode(row) for row in r.query(sql, params)]
