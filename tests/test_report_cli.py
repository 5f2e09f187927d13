"""The report commands end to end on a real database file: report smt|weekly in every
format, --from/--to, --out (private, atomic, never through a link), --send, reports,
report show, and tick."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest
import report_data as rd
from click.testing import CliRunner
from conftest import REPO

from core.errors import InputError, PermissionDenied
from tui.cli import cli

NOW = "2020-05-01T13:00"  # London: 12:00Z, as the history leaves it


@pytest.fixture
def history(ctx):
    return rd.build(ctx)


@pytest.fixture
def run(db_path, history):
    runner = CliRunner()

    def _run(user, *args, now=NOW, ok=True):
        result = runner.invoke(cli, ["--db", str(db_path), "--user", user, "--now", now, *args])
        if ok:
            assert result.exit_code == 0, (result.output, result.exception)
        return result

    return _run


def cli_main(db_path, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from tui.cli import main; main()", "--db", str(db_path), *args],
                          cwd=REPO, capture_output=True, text=True)


def test_smt_report_in_every_format(run):
    period = ["--from", "2020-04-28T08:00", "--to", "2020-04-30T08:00"]
    txt = run("smt1", "report", "smt", *period).stdout
    assert "SMT report: audit findings by team and worker" in txt and "Audits completed" in txt
    data = json.loads(run("smt1", "report", "smt", *period, "--format", "json").stdout)
    assert (data["from"], data["to"], data["totals"]["audits"]) == ("2020-04-28T07:00:00Z", "2020-04-30T07:00:00Z", 3)
    assert run("smt1", "report", "smt", *period, "--format", "csv").stdout.startswith(
        "section,team,worker,measure,value,n\n")  # (the runner shows CRLF as LF)
    assert run("smt1", "report", "smt", *period, "--format", "html").stdout.startswith("<!DOCTYPE html>")
    assert run("smt1", "report", "smt", *period, "--format", "md").stdout.startswith("# SMT report")


def test_default_periods_and_dates(run):
    # Fri 1 May: the SMT report so far runs from Thursday's slot; the weekly one is last week.
    smt = json.loads(run("aud1", "report", "smt", "--format", "json").stdout)
    assert (smt["from"], smt["to"]) == ("2020-04-30T07:00:00Z", "2020-05-01T12:00:00Z")
    assert smt["totals"]["audits"] == 1  # A4, submitted exactly at Thursday's slot
    weekly = json.loads(run("dir1", "report", "weekly", "--format", "json").stdout)
    assert (weekly["from"], weekly["to"]) == ("2020-04-19T23:00:00Z", "2020-04-26T23:00:00Z")
    days = json.loads(run("hos1", "report", "weekly", "--from", "2020-04-27", "--to", "2020-05-03",
                          "--format", "json", now="2020-05-04T09:00").stdout)
    assert (days["from"], days["to"], days["totals"]["audits"]) == ("2020-04-26T23:00:00Z", "2020-05-03T23:00:00Z", 5)


def test_out_writes_a_private_file_in_the_format_of_its_extension(run, tmp_path):
    out = tmp_path / "smt.html"
    res = run("admin1", "report", "smt", "--out", str(out))
    assert res.stdout.strip() == f"wrote {out} (html)"
    assert out.read_text().startswith("<!DOCTYPE html>")
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    csv_out = tmp_path / "smt.data"
    run("admin1", "report", "smt", "--out", str(csv_out), "--format", "csv")
    assert csv_out.read_text().startswith("section,")


def test_out_refuses_a_symlink_and_the_database(run, tmp_path, db_path):
    target = tmp_path / "elsewhere.txt"
    target.write_text("keep me")
    link = tmp_path / "report.txt"
    link.symlink_to(target)
    res = run("admin1", "report", "smt", "--out", str(link), ok=False)
    assert isinstance(res.exception, InputError) and "symbolic link" in str(res.exception)
    assert target.read_text() == "keep me" and link.is_symlink()
    proc = cli_main(db_path, "--user", "admin1", "--now", NOW, "report", "smt", "--out", str(link))
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip() == f"{link}: is a symbolic link; refusing to write through it (give another path)"
    res = run("admin1", "report", "smt", "--out", str(db_path), "--format", "txt", ok=False)
    assert isinstance(res.exception, InputError) and "refusing to overwrite it" in str(res.exception)
    assert run("admin1", "report", "smt", "--out", str(tmp_path / "x.pdf"), ok=False).exit_code != 0


def test_a_worker_or_manager_is_refused_in_one_line(db_path, history):
    for login in ("w1", "m1"):
        proc = cli_main(db_path, "--user", login, "--now", NOW, "report", "smt")
        assert proc.returncode == 3 and proc.stdout == ""
        assert proc.stderr.strip() == (f"{login} may not see the SMT report: needs the auditor or pdt or admin"
                                       " or smt or director or head_of_service role")


def test_bad_periods_are_one_line(db_path, history):
    proc = cli_main(db_path, "--user", "aud1", "--now", NOW, "report", "smt", "--from", "2020-05-01",
                    "--to", "2020-04-01")
    assert proc.returncode == 1 and len(proc.stderr.strip().splitlines()) == 1
    assert "is not before its end" in proc.stderr


def test_send_by_hand_then_list_and_show(run, tmp_path):
    res = run("aud1", "report", "smt", "--send", ok=False)
    assert isinstance(res.exception, PermissionDenied)
    sent = run("admin1", "report", "smt", "--from", "2020-04-28T08:00", "--to", "2020-04-30T08:00", "--send")
    assert sent.stdout.strip() == "SMT report 1 stored and queued to 2 (smt1, smt2); dipaudit tick delivers it"
    listed = json.loads(run("smt1", "reports", "--json").stdout)
    assert [(r["report_id"], r["kind"], r["trigger"], r["recipients"]) for r in listed] == [
        (1, "smt", "hand", ["smt1", "smt2"])]
    human = run("smt1", "reports").stdout
    assert "by admin1" in human and "smt1, smt2" in human and "Tue 28 Apr 2020 08:00" in human
    shown = run("smt1", "report", "show", "1").stdout
    assert "SMT report" in shown and "Period     Tue 28 Apr 2020 08:00 to Thu 30 Apr 2020 08:00" in shown
    assert json.loads(run("dir1", "report", "show", "1", "--format", "json").stdout)["totals"]["audits"] == 3
    out = tmp_path / "sent.csv"
    run("dir1", "report", "show", "1", "--out", str(out))
    assert out.read_text() == run("dir1", "report", "show", "1", "--format", "csv").stdout
    assert run("w1", "reports", ok=False).exit_code != 0


def test_tick_queues_the_due_reports(run):
    done = json.loads(run("admin1", "tick", "--no-send", "--json", now="2020-05-04T08:05").stdout)
    assert [(r["kind"], r["slot"]) for r in done["reports"]] == [
        ("smt", "2020-04-30T07:00:00Z"), ("weekly", "2020-05-04T07:00:00Z")]
    again = json.loads(run("admin1", "tick", "--no-send", "--json", now="2020-05-04T08:10").stdout)
    assert again["reports"] == []
    assert [r["trigger"] for r in json.loads(run("dir1", "reports", "--json").stdout)] == ["schedule", "schedule"]
