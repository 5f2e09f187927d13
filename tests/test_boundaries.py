"""The UI-free core is mechanical: core/ and notify/ never import textual, rich or tui."""

import subprocess
import sys

from conftest import REPO


def test_core_and_notify_import_no_ui():
    code = (
        "import sys, pkgutil, importlib, core, notify\n"
        "for pkg in (core, notify):\n"
        "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        importlib.import_module(m.name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich', 'tui'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"UI modules imported by core/notify: {out.stdout}"


def test_core_never_imports_apprise():
    code = (
        "import sys, pkgutil, importlib, core\n"
        "for m in pkgutil.walk_packages(core.__path__, 'core.'):\n"
        "    importlib.import_module(m.name)\n"
        "print('apprise' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_import_linter_contracts_hold():
    out = subprocess.run([str(REPO / ".venv/bin/lint-imports")] if (REPO / ".venv/bin/lint-imports").exists()
                         else [sys.executable, "-m", "importlinter.cli"],
                         cwd=REPO, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_only_the_store_touches_the_connection():
    """Issue 7: the store owns the SQL. Outside ``core/store/`` no module of core writes a
    statement, runs one itself or reaches round the store to its connection or its lock."""
    import re

    reach = re.compile(r"\.execute\(|\.executemany\(|\.executescript\(|\.conn\b|store\.lock\b|store\.db\b"
                       r"|[\"'](SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|PRAGMA|BEGIN) ")  # a statement's text
    found = []
    for path in sorted((REPO / "core").rglob("*.py")):
        if (REPO / "core" / "store") in path.parents:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if reach.search(line):
                found.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert not found, "SQL or the store's connection/lock outside core/store/:\n" + "\n".join(found)
