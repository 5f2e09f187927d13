"""Every format from the one report model: txt, md and html through jinja2 templates,
csv as one tidy table, json as the model itself.

Templates: ``core/templates/reports/report.{txt,md,html}.j2``; a council's file of the
same name in ``<templates dir>/reports/`` wins (the same override folder as the case
note). HTML is autoescaped (everything a report embeds comes from imported files:
team and worker names are data, not markup); Markdown escapes what it embeds too;
every CSV cell goes through ``core.files.safe_cell``. A broken council template is a
one-line ``ReportTemplateProblem`` naming the file and line.
"""

from __future__ import annotations

import csv
import io
from datetime import date, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from .. import locations
from ..clock import from_iso, local, show
from ..errors import DipauditError, StateError
from ..files import safe_cell
from .model import Report, StandardFigures
from .periods import KIND_TITLES

if TYPE_CHECKING:  # jinja2 loads when a report is rendered, not with every command
    import jinja2

FORMATS = ("txt", "md", "html", "csv", "json")
EXTENSIONS = {".txt": "txt", ".text": "txt", ".md": "md", ".markdown": "md", ".html": "html",
              ".htm": "html", ".csv": "csv", ".json": "json"}
TEMPLATE_DIR = "reports"
LEVEL_LABELS = {"manager": "Supervising manager", "head_of_service": "Head of Service"}
BLOCKS = " ▏▎▍▌▋▊▉█"
SPARKS = "▁▂▃▄▅▆▇█"


class ReportTemplateProblem(DipauditError):
    """A report template that cannot be rendered (a mistake in a council's override)."""


def format_for(path: str | Path | None, fmt: str | None) -> str:
    """The format asked for; else the one ``path``'s extension names; else txt."""
    if fmt:
        if fmt not in FORMATS:
            raise StateError(f"no report format '{fmt}' (one of {', '.join(FORMATS)})")
        return fmt
    if path is not None:
        ext = Path(path).suffix.lower()
        if ext in EXTENSIONS:
            return EXTENSIONS[ext]
        if ext:
            raise StateError(f"{path}: cannot tell the format from '{ext}'; give --format"
                             f" ({', '.join(FORMATS)})")
    return "txt"


# --- words and numbers as people read them ---------------------------------------------
def pct_text(value: float | None) -> str:
    """``73%``; one decimal where a whole number would read as all (100%) or none (0%)."""
    if value is None:
        return "–"
    whole = int(value + 0.5)
    if (whole == 100 and value < 100) or (whole == 0 and value > 0):
        return f"{value:.1f}%"
    return f"{whole}%"


def pct_n(value: float | None, n: int) -> str:
    """A percentage with its n beside it: ``73% (n=11)``."""
    return f"{pct_text(value)} (n={n})"


def period_text(report: Report) -> str:
    """``Tue 28 Apr 2020 08:00 to Thu 30 Apr 2020 08:00``; whole London days as dates,
    the last day inclusive: ``Mon 20 Apr 2020 to Sun 26 Apr 2020``."""
    start, end = from_iso(report.from_), from_iso(report.to)
    if local(start).time() == time(0) and local(end).time() == time(0):
        last = local(end).date() - timedelta(days=1)
        first = local(start).date()
        if first == last:
            return first.strftime("%a %d %b %Y")
        return f"{first:%a %d %b %Y} to {last:%a %d %b %Y}"
    return f"{show(start)} to {show(end)}"


def as_at_text(report: Report) -> str:
    text = show(report.generated_at)
    if report.counts_at != report.generated_at:
        text += f" (open and overdue counts as at the end of the period, {show(report.counts_at)})"
    return text


def bar(value: float | int | None, maximum: float | int | None, width: int = 12) -> str:
    """A horizontal bar in eighths of a character: ``█████▍``."""
    if not value or not maximum or value <= 0:
        return ""
    eighths = round(8 * width * min(value, maximum) / maximum)
    full, part = divmod(max(eighths, 1), 8)
    return "█" * full + (BLOCKS[part] if part else "")


def spark(values: list[float | int | None]) -> str:
    """A sparkline: one character a value (a gap where there is none)."""
    present = [v for v in values if v is not None]
    if not present:
        return ""
    lo, hi = min(present), max(present)
    out = []
    for v in values:
        if v is None:
            out.append(" ")
        elif hi == lo:
            out.append(SPARKS[3] if hi else SPARKS[0])
        else:
            out.append(SPARKS[round((v - lo) / (hi - lo) * (len(SPARKS) - 1))])
    return "".join(out)


def shorten(text: str, width: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def text_table(rows: list[list], headers: list[str], align: str | None = None, *,
               indent: int = 2, header: bool = True) -> str:
    """An aligned plain-text table; ``align`` one letter a column, ``l`` or ``r``
    (default: the first column left, the rest right). ``header=False``: rows only."""
    align = align or "l" + "r" * (len(headers) - 1)
    body = [["" if c is None else str(c) for c in row] for row in rows]
    cells = ([[str(h) for h in headers]] if header else []) + body
    if not cells:
        return ""
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for k, row in enumerate(cells):
        parts = [c.ljust(w) if a == "l" else c.rjust(w) for c, w, a in zip(row, widths, align, strict=True)]
        lines.append(" " * indent + "  ".join(parts).rstrip())
        if header and k == 0:
            lines.append(" " * indent + "  ".join(("-" if h else " ") * w
                                                  for h, w in zip(headers, widths, strict=True)).rstrip())
    return "\n".join(lines)


_MD_SPECIAL = set("\\`*_[]<>|~&")


def md_escape(value) -> str:
    """Text from the data, shown literally in Markdown (no links, emphasis or table breaks)."""
    text = " ".join(str("" if value is None else value).split())
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in text)


def md_table(rows: list[list], headers: list[str], align: str | None = None) -> str:
    """A Markdown table; cells are escaped."""
    align = align or "l" + "r" * (len(headers) - 1)
    marks = {"l": ":--", "r": "--:"}
    out = ["| " + " | ".join(md_escape(h) for h in headers) + " |",
           "|" + "|".join(marks[a] for a in align) + "|"]
    out += ["| " + " | ".join(md_escape(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def escalation_status(e) -> str:
    if e.status == "open":
        return "OVERDUE: no response" if e.overdue else "awaiting response"
    return e.status


def week_label(week) -> str:
    return date.fromisoformat(week.week_start).strftime("%a %d %b %Y")


def _max(values) -> float:
    values = [v for v in values if v]
    return max(values) if values else 0


# --- table rows for the text formats (txt, md) -----------------------------------------
def share(part: int, value: float | None, n: int, of: str) -> str:
    """``4 of 12 audits (33%)``: a share with its n."""
    return f"{part} of {n} {of} ({pct_text(value)})" if n else ""


def summary_rows(t) -> list[list]:
    return [
        ["Audits completed", t.audits, ""],
        ["Every standard met or not applicable", t.all_met, share(t.all_met, t.all_met_pct, t.audits, "audits")],
        ["Standards met", t.standards_met,
         share(t.standards_met, t.standards_met_pct, t.standards_rated, "rated")
         + ("; not applicable left out" if t.standards_rated else "")],
        ["Actions raised in the period", t.actions_raised, ""],
        ["Actions completed in the period", t.actions_completed, ""],
        ["Actions open", t.actions_open, f"{t.actions_overdue} overdue"],
        ["PDT reviews due", t.reviews_due, f"{t.reviews_overdue} overdue (due on an earlier day)"],
        ["Escalations open", t.escalations_open,
         f"{t.escalations_overdue} overdue; {t.escalations_manager} with a manager,"
         f" {t.escalations_head_of_service} with a Head of Service"],
        ["Escalations raised in the period", t.escalations_raised, ""],
        ["Open queries in comment windows", t.open_queries, ""],
    ]


def standard_rows(standards, width: int | None = 44) -> list[list]:
    return [[shorten(s.title, width) if width else s.title, s.met, s.partly_met, s.not_met,
             s.not_applicable, pct_n(s.met_pct, s.rated)] for s in standards]


def theme_line(th) -> str:
    """``<standard>: not met in 4 of 5 rated (80%), partly met in 1``."""
    if th.not_met:
        line = f"{th.title}: not met in {th.not_met} of {th.rated} rated ({pct_text(th.not_met_pct)})"
        return line + (f", partly met in {th.partly_met}" if th.partly_met else "")
    return (f"{th.title}: partly met in {th.partly_met} of {th.rated} rated"
            f" ({pct_text(100 * th.partly_met / th.rated if th.rated else None)})")


def theme_lines(themes) -> list[str]:
    return [f"{i}. {theme_line(th)}" for i, th in enumerate(themes, 1)]


def _figures(f) -> list:
    return [f.audits, f"{f.all_met} ({pct_text(f.all_met_pct)})" if f.audits else "–",
            pct_n(f.standards_met_pct, f.standards_rated) if f.standards_rated else "–",
            f.actions_open, f.actions_overdue, f.escalations_open]


def team_rows(teams, *, indent: str = "  ", width: int | None = 32) -> list[list]:
    rows = []
    for team in teams:
        rows.append([shorten(team.team, width) if width else team.team, *_figures(team)])
        for w in team.workers:
            rows.append([indent + (shorten(w.name, width - len(indent)) if width else w.name), *_figures(w)])
    return rows


def escalation_rows(escalations) -> list[list]:
    return [[e.escalation_id, e.child, shorten(e.team, 28), LEVEL_LABELS.get(e.level, e.level),
             show(e.respond_by) if e.respond_by else "", escalation_status(e)] for e in escalations]


def sample_rows(samples) -> list[list]:
    rows = [[shorten(p.name, 32), p.drawn, p.audited, p.outstanding] for p in samples.by_auditor]
    rows.append(["All auditors", samples.drawn, samples.audited, samples.outstanding])
    return rows


def week_rows(weeks, width: int = 10) -> list[list]:
    top_audits = _max(w.audits for w in weeks)
    top_overdue = _max(w.actions_overdue for w in weeks)
    rows = []
    for w in weeks:
        rows.append([week_label(w), w.audits, bar(w.audits, top_audits, width),
                     pct_n(w.standards_met_pct, w.standards_rated), bar(w.standards_met_pct, 100, width),
                     w.actions_overdue, bar(w.actions_overdue, top_overdue, width), w.escalations_raised])
    return rows


# --- templates ------------------------------------------------------------------------
def _environment() -> jinja2.Environment:
    """Rebuilt when a council's override appears or changes (checked on each render)."""
    own = locations.templates_dir() / TEMPLATE_DIR
    stamp = tuple(sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size)
                         for p in own.glob("*.j2"))) if own.is_dir() else ()
    return _environment_for(str(locations.templates_dir()), stamp)


@lru_cache(maxsize=4)
def _environment_for(templates_dir: str, stamp: tuple) -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([
            jinja2.FileSystemLoader(templates_dir),
            jinja2.PackageLoader("core", "templates"),
        ]),
        undefined=jinja2.StrictUndefined,
        autoescape=lambda name: bool(name) and name.endswith(".html.j2"),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals.update(
        when=show, day=lambda v: show(v, with_time=False), pct=pct_text, pct_n=pct_n, bar=bar,
        spark=spark, shorten=shorten, text_table=text_table, md_table=md_table, md=md_escape,
        level_label=lambda v: LEVEL_LABELS.get(v, v), escalation_status=escalation_status,
        week_label=week_label, max_of=_max, kind_title=lambda k: KIND_TITLES.get(k, k),
        summary_rows=summary_rows, standard_rows=standard_rows, theme_lines=theme_lines, theme_line=theme_line, share=share,
        team_rows=team_rows, escalation_rows=escalation_rows, sample_rows=sample_rows,
        week_rows=week_rows,
    )
    return env


def _render_template(report: Report, fmt: str) -> str:
    import jinja2

    name = f"{TEMPLATE_DIR}/report.{fmt}.j2"
    try:
        template = _environment().get_template(name)
        return template.render(report=report, t=report.totals, period=period_text(report),
                               as_at=as_at_text(report))
    except jinja2.TemplateError as exc:
        where = getattr(exc, "filename", None) or locations.templates_dir() / name
        line = f", line {exc.lineno}" if getattr(exc, "lineno", None) else ""
        raise ReportTemplateProblem(f"{where}{line}: the report template failed: {exc}") from None


# --- csv: one tidy table ----------------------------------------------------------------
CSV_COLUMNS = ("section", "team", "worker", "measure", "value", "n")


def csv_rows(report: Report) -> list[tuple]:
    """One row per figure: (section, team, worker, measure, value, n); ``n`` is what a
    percentage is a share of."""
    t = report.totals
    rows: list[tuple] = [
        ("report", "", "", "kind", report.kind, ""),
        ("report", "", "", "council", report.council, ""),
        ("report", "", "", "from", report.from_, ""),
        ("report", "", "", "to", report.to, ""),
        ("report", "", "", "generated_at", report.generated_at, ""),
        ("report", "", "", "counts_at", report.counts_at, ""),
    ]
    rows += [("report", "", "", "programme", p, "") for p in report.programmes]
    rows += [
        ("totals", "", "", "audits", t.audits, ""),
        ("totals", "", "", "all_met", t.all_met, ""),
        ("totals", "", "", "all_met_pct", t.all_met_pct, t.audits),
        ("totals", "", "", "standards_met", t.standards_met, ""),
        ("totals", "", "", "standards_rated", t.standards_rated, ""),
        ("totals", "", "", "standards_met_pct", t.standards_met_pct, t.standards_rated),
    ]
    rows += [("totals", "", "", name, getattr(t, name), "") for name in (
        "actions_raised", "actions_completed", "actions_open", "actions_overdue", "reviews_due",
        "reviews_overdue", "escalations_open", "escalations_overdue", "escalations_manager",
        "escalations_head_of_service", "escalations_raised", "open_queries")]
    for s in report.standards:
        rows += _standard_rows(s)
    for th in report.themes:
        rows += [("theme", "", "", f"{th.id}.not_met", th.not_met, th.rated),
                 ("theme", "", "", f"{th.id}.not_met_pct", th.not_met_pct, th.rated)]
    for team in report.teams:
        rows += _figure_rows("team", team.team, "", team)
        for w in team.workers:
            rows += _figure_rows("worker", team.team, w.name, w)
    for e in report.escalations:
        key = f"escalation.{e.escalation_id}"
        rows += [("escalation", e.team, "", f"{key}.child", e.child, ""),
                 ("escalation", e.team, "", f"{key}.level", e.level, ""),
                 ("escalation", e.team, "", f"{key}.respond_by", e.respond_by or "", ""),
                 ("escalation", e.team, "", f"{key}.status", e.status, ""),
                 ("escalation", e.team, "", f"{key}.overdue", "yes" if e.overdue else "no", "")]
    if report.samples:
        for p in report.samples.by_auditor:
            rows += [("samples", "", p.name, m, getattr(p, m), "") for m in ("drawn", "audited", "outstanding")]
    for w in report.weeks:
        section = f"week {w.week_start}"
        rows += [(section, "", "", "audits", w.audits, ""),
                 (section, "", "", "all_met", w.all_met, ""),
                 (section, "", "", "standards_met_pct", w.standards_met_pct, w.standards_rated),
                 (section, "", "", "actions_overdue", w.actions_overdue, ""),
                 (section, "", "", "escalations_raised", w.escalations_raised, "")]
    return rows


def _standard_rows(s: StandardFigures) -> list[tuple]:
    return [("standard", "", "", f"{s.id}.{m}", getattr(s, m), "")
            for m in ("met", "partly_met", "not_met", "not_applicable")] + [
        ("standard", "", "", f"{s.id}.met_pct", s.met_pct, s.rated)]


def _figure_rows(section: str, team: str, worker: str, f) -> list[tuple]:
    return [
        (section, team, worker, "audits", f.audits, ""),
        (section, team, worker, "all_met", f.all_met, ""),
        (section, team, worker, "all_met_pct", f.all_met_pct, f.audits),
        (section, team, worker, "standards_met_pct", f.standards_met_pct, f.standards_rated),
        (section, team, worker, "actions_open", f.actions_open, ""),
        (section, team, worker, "actions_overdue", f.actions_overdue, ""),
        (section, team, worker, "escalations_open", f.escalations_open, ""),
    ]


def report_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in csv_rows(report):
        writer.writerow([safe_cell("" if v is None else v) for v in row])
    return out.getvalue()


def render_report(report: Report, fmt: str = "txt") -> str:
    """``report`` as text in ``fmt`` (txt | md | html | csv | json)."""
    fmt = format_for(None, fmt)
    if fmt == "json":
        return report.model_dump_json(indent=2) + "\n"
    if fmt == "csv":
        return report_csv(report)
    return _render_template(report, fmt)
