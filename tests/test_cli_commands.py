"""The CLI's commands are imported lazily (``tui.cli.COMMANDS``): ``dipaudit --help``
lists them from that table without importing their modules. These hold the table to the
commands themselves, so a lazy table can never lose one or say another's help."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO

from tui.cli import COMMANDS, cli, short_help


def _registered() -> dict:
    cli.load_all()
    return dict(cli.commands)


def test_every_registered_command_is_in_the_table_and_every_entry_registers_one():
    assert set(_registered()) == set(COMMANDS)


def test_the_table_says_each_command_s_own_short_help():
    for name, cmd in _registered().items():
        for limit in (45, 60, 200):
            assert short_help(COMMANDS[name][1], limit) == cmd.get_short_help_str(limit), name


def test_help_lists_every_command_without_importing_one():
    probe = ("import sys\nfrom tui.cli import main\nsys.argv = ['dipaudit', '--help']\n"
             "try:\n    main()\nexcept SystemExit:\n    pass\n"
             "print('LOADED:' + ','.join(sorted(m for m in sys.modules if m.startswith('tui.cli.'))),"
             " file=sys.stderr)\n")
    proc = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True)
    listed = proc.stdout.split("Commands:", 1)[1].split()
    for name in _registered():
        assert name in listed, name
    assert "LOADED:\n" in proc.stderr + "\n", proc.stderr  # no command module was imported


def test_a_command_s_own_help_loads_it():
    proc = subprocess.run([sys.executable, "-c", "from tui.cli import main; main()", "audit", "--help"],
                          cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "finalise" in proc.stdout and "submit" in proc.stdout  # audit's subcommands from two modules
