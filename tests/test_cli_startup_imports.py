"""`dipaudit queue --json` (the CLI's everyday read) starts quickly because it loads only
what it uses: no pydantic-settings (core.config reads the TOML and DIPAUDIT_* itself), no
pydantic (the settings are plain classes that hand only an unusual value to pydantic; the
queue's items are plain dataclasses, core.read_models), no
sqlite-utils, jinja2, holidays or asyncio, and none of core.models' validators is built
until a model is used (defer_build). This pins it of a real run, as
tests/test_cli_loads_no_tui.py pins that the CLI loads no Textual, so a gain cannot
silently regress. (Timings are bench/bench_startup.py's, never a unit test's.)"""

from __future__ import annotations

import json
import subprocess
import sys

from cli_probe import PROBE, probe
from conftest import REPO

HEAVY = ("pydantic", "pydantic_core", "pydantic_settings", "dotenv", "asyncio", "sqlite_utils", "jinja2", "holidays", "apprise",
         "openpyxl", "textual", "rich", "core.importers", "core.reports", "core.casenote", "core.demo")


def _heavy(modules: list[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


def test_queue_json_on_an_empty_database_loads_nothing_heavy_and_builds_no_model(db_path):
    from core.store import Store

    Store.open(db_path).close()
    proc, seen = probe("--db", str(db_path), "queue", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == []
    assert "core.queue" in seen["modules"] and "core.config" in seen["modules"]  # the probe saw the command
    assert _heavy(seen["modules"]) == []
    assert seen["built"] == []


def test_queue_json_with_rows_builds_no_model_and_loads_no_pydantic(ctx, db_path):
    """The queue's items are plain dataclasses (core.read_models), printed as the pydantic
    model printed them: no model is built and pydantic is not loaded (only pydantic_core,
    which emit_json serialises with)."""
    from conftest import add_people
    from factories import add_child

    from core.sampling import draw_sample

    add_people(ctx, [{"login": "admin1", "roles": ["admin", "auditor"]}])
    for child in ("C1", "C2"):
        add_child(ctx, child)
    draw_sample(ctx, seed=1, per_worker=2)
    proc, seen = probe("--db", str(db_path), "--user", "admin1", "queue", "--json")
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(proc.stdout)) == 2
    assert seen["built"] == []
    assert [m for m in seen["modules"] if m == "pydantic" or m.startswith("pydantic.")] == []


def test_the_probe_sees_a_heavy_module_and_a_built_model(db_path):
    """The probe itself: what a run does load and build is reported, so empty lists mean none."""
    code = PROBE.replace("from tui.cli import main\n",
                         "from tui.cli import main\nimport sqlite_utils  # noqa\n"
                         "import core.models\ncore.models.Event.model_rebuild()\n")
    _, seen = probe("--help", code=code)
    assert "sqlite_utils" in _heavy(seen["modules"])
    assert seen["built"] == ["Event"]


def test_pydantic_plugins_are_not_looked_for_unless_the_deployment_says(db_path):
    """The entry point sets pydantic's PYDANTIC_DISABLE_PLUGINS when it is unset (no scan
    of every installed package's entry points on the first model built); a value given is kept."""
    import os

    from core.store import Store

    Store.open(db_path).close()
    code = PROBE.replace("import json\n", "import json, os\nprint('PLUGINS:' + repr(os.environ.get("
                         "'PYDANTIC_DISABLE_PLUGINS')), file=sys.stderr)\n", 1)
    for given, kept in ((None, "'__all__'"), ("", "''"), ("logfire", "'logfire'")):
        env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
        if given is not None:
            env["PYDANTIC_DISABLE_PLUGINS"] = given
        proc = subprocess.run([sys.executable, "-c", code, "--db", str(db_path), "queue", "--json"],
                              cwd=REPO, capture_output=True, text=True, env=env)
        assert proc.returncode == 0, proc.stderr
        assert f"PLUGINS:{kept}" in proc.stderr.splitlines()


def test_a_caseload_import_loads_no_pydantic(tmp_path):
    """`dipaudit import caseload FILE` (the nightly import, issue 10) loads no pydantic: its
    result is a plain dataclass and the role check needs no model (a fifth of a second of
    CPU before any row is read). The import itself is real: the children are written."""
    from core.store import Store

    src = tmp_path / "caseload.csv"
    src.write_text("child_id,name,date_of_birth,cohort,worker,team\nC1,Ann Example,01/02/2015,cin,Walt One,Team A\n",
                   encoding="utf-8")
    db = tmp_path / "new.db"
    proc, seen = probe("--db", str(db), "import", "caseload", str(src))
    assert proc.returncode == 0, proc.stderr
    assert "1 added" in proc.stdout
    assert "core.importers.caseload" in seen["modules"]  # the probe saw the command
    assert [m for m in seen["modules"] if m.split(".")[0] in ("pydantic", "pydantic_core")] == []
    store = Store.open(db)
    try:
        assert store.scalar("SELECT count(*) FROM children") == 1
    finally:
        store.close()


def test_import_result_dumps_as_the_model_did():
    """ImportResult's ``model_dump`` (the import event's counts, the tests, --json) as the
    pydantic model it was gave it: every field in order, ``exclude`` leaving some out."""
    from core.importers import ImportResult

    r = ImportResult(added=2, closed=1, rejects_file="x.rejects.csv")
    assert r.model_dump() == {"added": 2, "updated": 0, "unchanged": 0, "closed": 1, "rejected": 0,
                              "rejects_file": "x.rejects.csv"}
    assert list(r.model_dump(exclude={"rejects_file"})) == ["added", "updated", "unchanged", "closed", "rejected"]
