"""Build the report model for a kind and a period, from the store's aggregate queries.

``build_report`` is the one function the CLI, the TUI and the scheduler call (the
scheduler through ``compose_report``, which skips the role check: tick acts as
'system'). Figures are counted in SQL (``core.store.reports``); this module only
assembles the few grouped rows into the model.
"""

from __future__ import annotations

import json
from datetime import datetime

from ..clock import iso, local
from ..context import Context
from ..models import initials
from ..people import require_role
from ..store import reports as q
from .model import (
    AuditorProgress,
    Report,
    SampleProgress,
    StandardFigures,
    Theme,
    Totals,
    WeekFigures,
    pct,
)
from .periods import (
    KIND_TITLES,
    Period,
    at_london,
    check_kind,
    default_period,
    week_of,
    week_start,
    weeks_before,
)

# Who may preview and export reports; sending by hand is for admins (design.md "Reports").
VIEW_ROLES = ("auditor", "pdt", "admin", "smt", "director", "head_of_service")
NO_TEAM = "(no team)"
UNALLOCATED = "(unallocated)"
THEMES = 5  # standards listed as themes, most often not met first

TITLES = {
    "smt": "SMT report: audit findings by team and worker",
    "weekly": "Weekly report to the Service Director and the Corporate Director of Children's Services",
}


def build_report(ctx: Context, kind: str, period: Period | None = None) -> Report:
    """The report of ``kind`` (smt | weekly) for ``period`` (default: the kind's
    default period at the clock's now). For auditor, pdt, admin, smt, director and
    head_of_service; anyone else is refused with one line."""
    check_kind(kind)
    require_role(ctx, *VIEW_ROLES, doing=f"see the {KIND_TITLES[kind]}")
    return compose_report(ctx, kind, period)


def child_label(child_id: str, name: str | None, full_names: bool) -> str:
    """``C1234 (A.E.)``; the full name only where the council has turned full names on."""
    if full_names and name:
        return f"{name} ({child_id})"
    mark = initials(name)
    return f"{child_id} ({mark})" if mark else child_id


def compose_report(ctx: Context, kind: str, period: Period | None = None) -> Report:
    """Build without a role check (the scheduler, and ``build_report`` after its check)."""
    check_kind(kind)
    rs = ctx.settings.reports
    now = ctx.now()
    period = period or default_period(rs, kind, now)
    store = ctx.store
    start, end = iso(period.start), iso(period.end)
    counts_at = min(period.end, now)
    t = iso(counts_at)
    t_day = local(counts_at).date()
    by_worker = kind == "smt" or rs.weekly_by_worker

    weeks = _trend_weeks(ctx, period) if kind == "weekly" else []
    ends = [min(w.end, now) for w in weeks]
    groups = q.audit_groups(store, start, end, actions=True)  # with the actions raised on them
    actions, overdue_by_week = q.actions_as_at(store, t, t_day.isoformat(), iso(at_london(t_day)),
                                               [(iso(e), local(e).date().isoformat()) for e in ends])
    escalation_rows = q.escalations_as_at(store, start, t)
    progress = q.sample_progress(store, start, end, t) if kind == "smt" else []
    names = q.names_of(store, [g["worker"] for g in groups] + [a["worker"] for a in actions]
                       + [e["worker"] for e in escalation_rows] + [p["auditor"] for p in progress])

    escalations = _escalations(escalation_rows, counts_at, ctx.settings.notify.full_names)
    teams = _teams(groups, actions, escalations, names, by_worker)
    standards = _standards(ctx, q.standard_counts(store, start, end), q.programmes_used(store, start, end))
    open_escalations = [e for e in escalations if e["status"] != "closed"]
    audits = sum(g["audits"] for g in groups)
    all_met = sum(g["all_met"] for g in groups)
    met = sum(g["met"] for g in groups)
    rated = sum(g["rated"] for g in groups)
    totals = Totals(
        audits=audits, all_met=all_met, all_met_pct=pct(all_met, audits),
        standards_met=met, standards_rated=rated, standards_met_pct=pct(met, rated),
        actions_raised=sum(g["actions"] for g in groups), actions_completed=q.actions_completed(store, start, end),
        actions_open=sum(a["open"] for a in actions), actions_overdue=sum(a["overdue"] for a in actions),
        reviews_due=sum(a["reviews_due"] for a in actions),
        reviews_overdue=sum(a["reviews_overdue"] for a in actions),
        escalations_open=len(open_escalations),
        escalations_overdue=sum(e["overdue"] for e in open_escalations),
        escalations_manager=sum(e["level"] == "manager" for e in open_escalations),
        escalations_head_of_service=sum(e["level"] == "head_of_service" for e in open_escalations),
        escalations_raised=sum(e["raised_in_period"] for e in escalations),
        open_queries=q.open_queries(store, t),
    )
    return Report(
        kind=kind, title=TITLES[kind], council=ctx.settings.council,
        from_=start, to=end, generated_at=iso(now), counts_at=t,
        slot=iso(period.slot) if period.slot else None,
        programmes=standards[1], by_worker=by_worker, totals=totals, standards=standards[0],
        themes=_themes(standards[0]), teams=teams, escalations=escalations,
        samples=_samples(progress, names) if kind == "smt" else None,
        weeks=_weeks(ctx, weeks, overdue_by_week),
    )


def _escalations(rows: list[dict], counts_at: datetime, full_names: bool) -> list[dict]:
    """The escalations as the model's ``EscalationItem`` fields (plain dicts: ``Report``
    validates them all at once), in the report's order."""
    t = iso(counts_at)
    items = [
        {"escalation_id": r["escalation_id"], "child": child_label(r["child_id"], r["child_name"], full_names),
         "child_id": r["child_id"], "team": r["team"] or NO_TEAM, "worker": r["worker"], "level": r["level"],
         "respond_by": r["respond_by"], "status": r["status"], "raised_at": r["raised_at"],
         "raised_in_period": bool(r["raised_in_period"]),
         "overdue": bool(r["status"] == "open" and r["respond_by"] and r["respond_by"] < t)}
        for r in rows
    ]
    # Open first (overdue first among them, then the soonest respond-by), then the rest.
    order = {"open": 0, "responded": 1, "closed": 2}
    items.sort(key=lambda e: (order[e["status"]], not e["overdue"], e["respond_by"] or "", e["escalation_id"]))
    return items


def _figures(g: dict | None, a: dict | None, escalations: int) -> dict:
    """The figures of one worker (or team) from its grouped rows."""
    audits, all_met = (g["audits"], g["all_met"]) if g else (0, 0)
    met, rated = (g["met"], g["rated"]) if g else (0, 0)
    return {"audits": audits, "all_met": all_met, "all_met_pct": pct(all_met, audits),
            "standards_met": met, "standards_rated": rated, "standards_met_pct": pct(met, rated),
            "actions_open": a["open"] if a else 0, "actions_overdue": a["overdue"] if a else 0,
            "escalations_open": escalations}


_SUMMED = ("audits", "all_met", "standards_met", "standards_rated", "actions_open", "actions_overdue",
           "escalations_open")


def _teams(groups: list[dict], actions: list[dict], escalations: list[dict],
           names: dict[str, str], by_worker: bool) -> list[dict]:
    """Teams (and, with ``by_worker``, their workers) with any audit in the period, or
    any action or escalation open as at its end, as the model's ``TeamFigures`` fields
    (plain dicts: ``Report`` validates them all at once)."""
    by_key: dict[tuple[str, str], list] = {}
    for g in groups:
        by_key.setdefault((g["team"] or NO_TEAM, g["worker"]), [None, None, 0])[0] = g
    for a in actions:
        by_key.setdefault((a["team"] or NO_TEAM, a["worker"]), [None, None, 0])[1] = a
    for e in escalations:
        if e["status"] != "closed":
            by_key.setdefault((e["team"], e["worker"]), [None, None, 0])[2] += 1
    teams: dict[str, list[dict]] = {}
    for (team, worker), (g, a, n_esc) in by_key.items():
        fig = _figures(g, a, n_esc)
        fig.update(worker=worker, name=names.get(worker, worker) if worker else UNALLOCATED)
        teams.setdefault(team, []).append(fig)
    out = []
    for team in sorted(teams, key=lambda t: (t == NO_TEAM, t.casefold())):
        ws = teams[team]
        total = {k: sum(w[k] for w in ws) for k in _SUMMED}
        total["all_met_pct"] = pct(total["all_met"], total["audits"])
        total["standards_met_pct"] = pct(total["standards_met"], total["standards_rated"])
        workers = sorted(ws, key=lambda w: (not w["worker"], w["name"].casefold())) if by_worker else []
        out.append({"team": team, "workers": workers, **total})
    return out


def _standards(ctx: Context, counts: list[dict], programmes: list[str]
               ) -> tuple[list[StandardFigures], list[str]]:
    """Per standard, in the programme's order (the programmes audited in the period, else
    the one configured), with the titles the audits were done against."""
    titles: dict[str, str] = {}
    used: list[str] = []
    for raw in programmes:
        prog = json.loads(raw)
        used.append(f"{prog.get('title', prog.get('id'))} (version {prog.get('version')})")
        for s in prog.get("standards", []):
            titles.setdefault(s["id"], s.get("title") or s["id"])
    if not programmes:
        try:
            from ..programme import load_programme

            prog = load_programme(ctx.settings)
            titles = {s.id: s.title for s in prog.standards}
        except Exception:  # a broken programme file is reported where it is used, not here
            titles = {}
    by_id = {c["standard_id"]: c for c in counts}
    order = list(titles) + sorted(set(by_id) - set(titles))
    out = []
    for sid in order:
        c = by_id.get(sid, {})
        met, partly, not_met = c.get("met") or 0, c.get("partly_met") or 0, c.get("not_met") or 0
        rated = met + partly + not_met
        out.append(StandardFigures(id=sid, title=titles.get(sid, sid), met=met, partly_met=partly,
                                   not_met=not_met, not_applicable=c.get("not_applicable") or 0,
                                   rated=rated, met_pct=pct(met, rated)))
    return out, used


def _themes(standards: list[StandardFigures]) -> list[Theme]:
    """The standards most often not met (then most often partly met), those with any."""
    ranked = sorted((s for s in standards if s.not_met or s.partly_met),
                    key=lambda s: (-s.not_met, -s.partly_met, s.id))
    return [Theme(id=s.id, title=s.title, not_met=s.not_met, partly_met=s.partly_met, rated=s.rated,
                  not_met_pct=pct(s.not_met, s.rated)) for s in ranked[:THEMES]]


def _samples(rows: list[dict], names: dict[str, str]) -> SampleProgress:
    by = [AuditorProgress(auditor=r["auditor"], name=names.get(r["auditor"], r["auditor"]) or UNALLOCATED,
                          drawn=r["drawn"], audited=r["audited"], outstanding=r["outstanding"])
          for r in rows]
    by.sort(key=lambda p: (not p.auditor, p.name.casefold()))
    return SampleProgress(drawn=sum(p.drawn for p in by), audited=sum(p.audited for p in by),
                          outstanding=sum(p.outstanding for p in by), by_auditor=by)


def _trend_weeks(ctx: Context, period: Period) -> list[Period]:
    """The trend: ``trend_weeks`` reporting weeks before the one the period starts in
    (for a reporting week, itself), then the period."""
    rs = ctx.settings.reports
    before = weeks_before(week_of(week_start(rs, period.start)), rs.trend_weeks)
    return [*before, Period(period.start, period.end)]


def _weeks(ctx: Context, weeks: list[Period], overdue: dict[int, int]) -> list[WeekFigures]:
    if not weeks:
        return []
    spans = [(iso(w.start), iso(w.end)) for w in weeks]
    audits = q.audits_by_week(ctx.store, spans)
    raised = q.escalations_raised_by_week(ctx.store, spans)
    out = []
    for i, w in enumerate(weeks):
        a = audits.get(i, {})
        met, rated = a.get("met") or 0, a.get("rated") or 0
        out.append(WeekFigures(week_start=local(w.start).date().isoformat(), from_=spans[i][0], to=spans[i][1],
                               audits=a.get("audits") or 0, all_met=a.get("all_met") or 0,
                               standards_met=met, standards_rated=rated, standards_met_pct=pct(met, rated),
                               actions_overdue=overdue.get(i, 0), escalations_raised=raised.get(i, 0)))
    return out
