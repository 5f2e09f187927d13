"""Where the settings come from: keyword arguments over ``DIPAUDIT_*`` variables over the
TOML file over the defaults, tables merged key by key, and one line per fault. dipaudit
reads these sources itself (``core.config``) with pydantic-settings' rules; these tests
pin those rules (they held with pydantic-settings too)."""

from __future__ import annotations

import json
import os

import pytest

from core.config import Settings, load_settings
from core.errors import InputError


@pytest.fixture
def config(tmp_path, monkeypatch):
    """Write the config file the settings read (DIPAUDIT_CONFIG); the suite's own act_as stays."""
    path = tmp_path / "config.toml"
    monkeypatch.setenv("DIPAUDIT_CONFIG", str(path))

    def write(text: str):
        path.write_text(text, encoding="utf-8")
        return path

    return write


def test_no_file_and_no_variables_are_the_defaults(monkeypatch):
    monkeypatch.delenv("DIPAUDIT_SECURITY__ACT_AS")
    s = load_settings()
    assert s == Settings.model_construct()
    assert (s.sampling.per_worker, s.sampling.exclusion_days, s.workflow.comment_window_hours) == (1, 28, 72)
    assert s.security.act_as == [] and s.keys == {}


def test_arguments_over_variables_over_the_file_table_by_table(config, monkeypatch):
    config("council = 'From the file'\nprogramme = 'file-programme'\n"
           "[sampling]\nper_worker = 2\nexclusion_days = 9\n[workflow]\nreview_after_days = 7\n")
    monkeypatch.setenv("DIPAUDIT_SAMPLING__EXCLUSION_DAYS", "21")
    monkeypatch.setenv("DIPAUDIT_PROGRAMME", "env-programme")
    s = Settings(council="From the call", workflow={"comment_window_hours": 48})
    assert s.council == "From the call"
    assert s.programme == "env-programme"
    assert (s.sampling.per_worker, s.sampling.exclusion_days) == (2, 21)  # file's table, one key from env
    assert (s.workflow.comment_window_hours, s.workflow.review_after_days) == (48, 7)


def test_a_model_given_as_an_argument_replaces_the_whole_table(config, monkeypatch):
    from core.config import SamplingSettings

    config("[sampling]\nper_worker = 2\n")
    monkeypatch.setenv("DIPAUDIT_SAMPLING__EXCLUSION_DAYS", "21")
    s = Settings(sampling=SamplingSettings(exclusion_days=7))
    assert (s.sampling.per_worker, s.sampling.exclusion_days) == (1, 7)


def test_variable_names_ignore_case_and_values_are_validated(monkeypatch):
    monkeypatch.setenv("dipaudit_Sampling__Per_Worker", "3")
    monkeypatch.setenv("DIPAUDIT_WORKFLOW__AUTO_REFER_HEAD_OF_SERVICE", "false")
    monkeypatch.setenv("DIPAUDIT_NOTIFY__APPRISE_CONFIG", "/etc/dipaudit/apprise.yml")
    s = load_settings()
    assert s.sampling.per_worker == 3
    assert s.workflow.auto_refer_head_of_service is False
    assert str(s.notify.apprise_config) == "/etc/dipaudit/apprise.yml"


def test_a_list_or_table_variable_is_json(monkeypatch):
    monkeypatch.setenv("DIPAUDIT_SECURITY__ACT_AS", json.dumps(["svc.dipaudit", "ops"]))
    monkeypatch.setenv("DIPAUDIT_REPORTS__SMT_DAYS", '["Thursday", "mon"]')
    monkeypatch.setenv("DIPAUDIT_SAMPLING", '{"Per_Worker": 4, "exclusion_days": 5}')
    monkeypatch.setenv("DIPAUDIT_SAMPLING__EXCLUSION_DAYS", "6")  # a nested variable beats the JSON table
    monkeypatch.setenv("DIPAUDIT_KEYS__QUIT", "ctrl+q")  # a table's value type (str) is not JSON
    s = load_settings()
    assert s.security.act_as == ["svc.dipaudit", "ops"]
    assert s.reports.smt_days == ["mon", "thu"]
    assert (s.sampling.per_worker, s.sampling.exclusion_days) == (4, 6)
    assert s.keys == {"quit": "ctrl+q"}


def test_a_nested_table_variable_replaces_that_table(monkeypatch):
    """``DIPAUDIT_SAMPLING__TIERS__CP=2`` is the whole tiers table, as pydantic-settings read it."""
    monkeypatch.setenv("DIPAUDIT_SAMPLING__TIERS__CP", "2")
    assert load_settings().sampling.tiers == {"cp": 2}


def test_a_blank_act_as_is_nobody(monkeypatch):
    monkeypatch.setenv("DIPAUDIT_SECURITY__ACT_AS", "")
    assert load_settings().security.act_as == []


@pytest.mark.parametrize(("name", "value", "field"), [
    ("DIPAUDIT_SECURITY__ACT_AS", "dipaudit", "security"),
    ("DIPAUDIT_REPORTS__SMT_DAYS", "tue", "reports"),
    ("DIPAUDIT_SAMPLING", "{per_worker: 2}", "sampling"),
    ("DIPAUDIT_KEYS", "", "keys"),
])
def test_a_list_or_table_variable_that_is_not_json_is_one_line(monkeypatch, name, value, field):
    monkeypatch.setenv(name, value)
    with pytest.raises(InputError) as err:
        load_settings()
    text = str(err.value)
    assert "\n" not in text
    assert text.startswith(f'environment: error parsing value for field "{field}"')
    assert "JSON there" in text


def test_a_bad_value_names_the_setting_and_its_variable(config, monkeypatch):
    path = config("[sampling]\nexclusion_days = -1\n")
    monkeypatch.setenv("DIPAUDIT_SAMPLING__PER_WORKER", "0")
    with pytest.raises(InputError) as err:
        load_settings()
    lines = str(err.value).splitlines()
    assert lines[0].startswith(str(path))
    assert len(lines) == 3
    assert any("sampling.per_worker" in x and "got '0'" in x and "DIPAUDIT_SAMPLING__PER_WORKER" in x for x in lines)
    assert any("sampling.exclusion_days" in x and "got -1" in x and "DIPAUDIT_SAMPLING__EXCLUSION_DAYS" in x
               for x in lines)


def test_file_keys_at_the_top_ignore_case_and_unknown_keys_are_ignored(config):
    config("Council = 'Upper'\nnonsense = 1\n[sampling]\nper_worker = 2\nnot_a_setting = 'x'\n")
    s = load_settings()
    assert (s.council, s.sampling.per_worker) == ("Upper", 2)


def test_a_file_that_is_not_toml_is_one_line(config):
    path = config("[sampling\n")
    with pytest.raises(InputError) as err:
        load_settings()
    assert str(err.value).startswith(f"{path}: not valid TOML") and "\n" not in str(err.value)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file_is_one_line(config):
    path = config("council = 'secret'\n")
    path.chmod(0)
    with pytest.raises(InputError) as err:
        load_settings()
    assert str(err.value).startswith(f"{path}: cannot read the config file") and "\n" not in str(err.value)


def test_model_construct_reads_no_source(config, monkeypatch):
    """``Settings.model_construct()`` is the bare defaults; ``Settings()`` and
    ``Settings.model_validate`` (pydantic calls the model's ``__init__``) read the sources."""
    config("council = 'file'\n")
    monkeypatch.setenv("DIPAUDIT_COUNCIL", "env")
    assert Settings.model_construct().council == "Example Council Children's Services"
    assert Settings().council == Settings.model_validate({}).council == "env"


# -- the quick check and pydantic agree ---------------------------------------------------------
# core.config takes a plain value itself and hands every other to pydantic models built from
# the same declarations. Whatever a section is given, the result (the values, or pydantic's
# errors word for word) is what those pydantic models make of it.

from hypothesis import HealthCheck, given  # noqa: E402
from hypothesis import settings as hsettings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from core import config as config_module  # noqa: E402

TEXTS = ["", "0", "1", "7", "007", "-1", "+2", "3.0", " 4", "1_000", "x", "true", "False", "YES", "off", "f", "n",
         "tue", "Thursday", "tues", "8:00", "08:00", "25:00", "8am", "/etc/a.yml", "qa1", "a b", "9" * 30]
EXAMPLES = [*TEXTS, 0, 1, -1, 2, 104, 105, 10**20, True, False, None, 3.0, 2.5, [], ["tue", "tue"], ["a", 1],
            [""], ("mon",), {"cp": 2}, {"cp": "2"}, {"cp": True}, {"quit": "q"}, {"quit": 1}, {1: 2}]
SCALARS = st.one_of(st.sampled_from(EXAMPLES), st.integers(min_value=-3, max_value=200), st.booleans(),
                    st.floats(allow_nan=False, allow_infinity=False, min_value=-5, max_value=200))
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=3),
                   st.dictionaries(st.sampled_from(["cp", "cin", "quit", "x"]), SCALARS, max_size=3))
SECTIONS = [config_module.SamplingSettings, config_module.NoteTypeSettings, config_module.WorkflowSettings,
            config_module.NotifySettings, config_module.ReportSettings, config_module.SecuritySettings,
            config_module.SchedulerSettings]


def _by_pydantic(cls, values):
    try:
        model = config_module._pydantic_model(cls).model_validate(config_module._as_data(values))
    except Exception as exc:  # noqa: BLE001 - compared with what the section raises
        return exc
    return cls.model_construct(**{n: config_module._from_pydantic(s.annotation, getattr(model, n))
                                  for n, s in cls.model_fields.items()})


def _by_section(cls, values):
    """What ``cls(**values)`` validates (``Settings`` also reads its sources: not here)."""
    try:
        return cls.model_construct(**config_module._validate(cls, values))
    except Exception as exc:  # noqa: BLE001
        return exc


def _same(a, b):
    if isinstance(a, Exception) or isinstance(b, Exception):
        assert type(a) is type(b), (a, b)
        if hasattr(a, "errors"):
            assert a.errors(include_context=False) == b.errors(include_context=False)
            assert str(a) == str(b)
    else:
        assert a == b
        assert [type(v) for v in vars(a).values()] == [type(v) for v in vars(b).values()]


def test_every_setting_given_each_example_validates_as_pydantic_would():
    for cls in [*SECTIONS, Settings]:
        for name in cls.model_fields:
            for value in EXAMPLES:
                _same(_by_section(cls, {name: value}), _by_pydantic(cls, {name: value}))


@hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_section_validates_as_pydantic_would(data):
    cls = data.draw(st.sampled_from(SECTIONS))
    names = [*cls.model_fields, "unknown"]
    values = data.draw(st.dictionaries(st.sampled_from(names), VALUES, max_size=4))
    _same(_by_section(cls, values), _by_pydantic(cls, values))


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_nested_tables_validate_as_pydantic_would_and_faults_are_named_from_the_top(data):
    tables = {}
    for cls, name in ((config_module.SamplingSettings, "sampling"), (config_module.ReportSettings, "reports"),
                      (config_module.SecuritySettings, "security")):
        if data.draw(st.booleans()):
            tables[name] = data.draw(st.dictionaries(st.sampled_from(list(cls.model_fields)), VALUES, max_size=3))
    tables["keys"] = data.draw(st.one_of(st.none(), VALUES))
    if tables["keys"] is None:
        del tables["keys"]
    _same(_by_section(Settings, tables), _by_pydantic(Settings, tables))


def test_plain_values_need_no_pydantic():
    """Defaults, a usual config file's values and DIPAUDIT_* text are taken without loading pydantic."""
    import subprocess
    import sys

    code = ("import sys\nfrom core.config import Settings\n"
            "s = Settings(sampling={'per_worker': '2', 'tiers': {'cp': '2'}}, council='C',\n"
            "             workflow={'auto_refer_head_of_service': 'false'}, notify={'apprise_config': '/a.yml'},\n"
            "             reports={'smt_days': ['Thursday'], 'smt_time': '7:30'}, security={'act_as': 'svc'})\n"
            "assert (s.sampling.per_worker, s.sampling.tiers, s.reports.smt_time) == (2, {'cp': 2}, '07:30')\n"
            "print(sorted(m for m in sys.modules if m.startswith('pydantic')))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
