"""Run the real `dipaudit` entry point in a fresh interpreter and report what it loaded:
the modules in ``sys.modules`` and the ``core.models`` classes whose validators were built.
Used by tests/test_cli_startup_imports.py and tests/test_cli_loads_no_tui.py."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import REPO

PROBE = (
    "import sys\n"
    "from tui.cli import main\n"
    "sys.argv = ['dipaudit', *sys.argv[1:]]\n"
    "try:\n"
    "    main()\n"
    "except SystemExit as exc:\n"
    "    code = exc.code or 0\n"
    "else:\n"
    "    code = 0\n"
    "import json\n"
    "models = sys.modules.get('core.models')\n"
    "built = sorted(n for n, v in vars(models).items() if isinstance(v, type) and v.__module__ == 'core.models'\n"
    "               and hasattr(v, 'model_fields') and v.__dict__.get('__pydantic_complete__')) if models else []\n"
    "print('PROBE:' + json.dumps({'modules': sorted(sys.modules), 'built': built}), file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def probe(*args: str, code: str = PROBE) -> tuple[subprocess.CompletedProcess, dict]:
    """``dipaudit *args`` as a process: (the finished process, {'modules', 'built'})."""
    proc = subprocess.run([sys.executable, "-c", code, *args], cwd=REPO, capture_output=True, text=True)
    line = next(x for x in proc.stderr.splitlines() if x.startswith("PROBE:"))
    return proc, json.loads(line[len("PROBE:"):])
