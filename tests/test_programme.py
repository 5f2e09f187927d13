"""Programmes are data: the loader on good and bad files, overrides, the CLI."""

import json
import os
import shutil
import subprocess
import sys

import pytest
from conftest import FIXTURES

from core import locations
from core.config import Settings
from core.errors import InputError, NotFound
from core.programme import check_programme_file, load_programme

PROGRAMMES = FIXTURES / "programmes"


def test_default_programme_has_the_six_standards_of_the_design():
    p = load_programme(Settings())
    assert p.id == "covid-virtual-oversight"
    assert p.title == "COVID-19, Virtual Contacts and Management Oversight"
    assert p.standard_ids == ["covid_note", "virtual_contact", "oversight_current",
                              "oversight_virtual", "oversight_partners", "oversight_contact_level"]
    assert {s.id: s.precheck for s in p.standards}["oversight_partners"] is None
    assert str(p.parameters.virtual_practice_start) == "2020-03-23"
    assert str(p.parameters.oversight_deadline) == "2020-04-20"
    assert p.parameters.oversight_interval_days == 28
    assert all(s.guidance for s in p.standards)


def test_a_good_file_loads_with_its_own_parameters():
    p = check_programme_file(PROGRAMMES / "good.toml")
    assert (p.id, p.version, p.parameters.oversight_interval_days) == ("good", "2", 21)
    assert p.standard("voice_of_child").precheck is None


def faults(name):
    with pytest.raises(InputError) as exc:
        check_programme_file(PROGRAMMES / name)
    return exc.value


def test_missing_fields_are_named_by_key_path():
    err = faults("missing_field.toml")
    cols = {(f.column, f.message) for f in err.faults}
    assert ("programme.title", "missing") in cols
    assert ("standards[2].title", "missing") in cols
    assert str(err).startswith(str(PROGRAMMES / "missing_field.toml"))
    assert "column 'programme.title': missing" in str(err)


def test_duplicate_standard_ids_are_refused():
    err = faults("duplicate_id.toml")
    assert [f.column for f in err.faults] == ["standards[2].id"]
    assert "duplicate standard id 'covid_note' (also standards[1])" in str(err)


def test_unknown_precheck_is_refused_naming_the_known_ones():
    err = faults("unknown_precheck.toml")
    assert [f.column for f in err.faults] == ["standards[2].precheck"]
    assert "unknown precheck 'home_visits'; known: covid_note, virtual_contact" in str(err)


def test_toml_syntax_error_gives_the_line():
    err = faults("syntax_error.toml")
    assert err.faults[0].row == 3
    assert "not valid TOML" in str(err) and "row 3" in str(err)


def test_a_councils_programme_file_overrides_the_packaged_one():
    target = locations.programmes_dir()
    target.mkdir(parents=True)
    text = (PROGRAMMES / "good.toml").read_text().replace('id = "good"', 'id = "covid-virtual-oversight"')
    (target / "covid-virtual-oversight.toml").write_text(text)
    p = load_programme(Settings())
    assert (p.title, p.version) == ("A small programme", "2")


def test_an_unknown_programme_id_is_not_found():
    with pytest.raises(NotFound, match="no programme 'nope'"):
        load_programme(Settings(), "nope")


def run_cli(*args):
    return subprocess.run([sys.executable, "-c", "from tui.cli import main; main()", *args], capture_output=True, text=True,
                          env={**os.environ}, timeout=60)


def test_cli_programme_check_and_show(tmp_path):
    bad = tmp_path / "mine.toml"
    shutil.copy(PROGRAMMES / "unknown_precheck.toml", bad)
    r = run_cli("programme", "check", str(bad))
    assert r.returncode == 2
    assert r.stdout == ""
    assert r.stderr.strip() == (f"{bad}, column 'standards[2].precheck': unknown precheck 'home_visits';"
                                " known: covid_note, virtual_contact, oversight_current, oversight_virtual")
    ok = run_cli("programme", "check", str(PROGRAMMES / "good.toml"))
    assert ok.returncode == 0 and "ok: A small programme" in ok.stdout
    shown = run_cli("programme", "show", "--json")
    assert shown.returncode == 0
    assert [s["id"] for s in json.loads(shown.stdout)["standards"]][0] == "covid_note"
