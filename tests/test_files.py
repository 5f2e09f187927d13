"""Files dipaudit writes: private whatever the umask, atomic, never through a link or onto an input."""

import os
import stat

import pytest

from core.errors import InputError
from core.files import safe_cell, write_private


@pytest.fixture
def loose_umask():
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_written_private_under_a_loose_umask(tmp_path, loose_umask):
    out = write_private(tmp_path / "report.csv", "a,b\n")
    assert out.read_text() == "a,b\n"
    assert mode(out) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["report.csv"]  # no temporary file left


def test_group_shared_in_a_setgid_directory(tmp_path, loose_umask):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o2770)
    assert mode(write_private(shared / "r.csv", b"x")) == 0o660


def test_an_existing_file_is_replaced_and_made_private(tmp_path, loose_umask):
    target = tmp_path / "r.csv"
    target.write_text("old")
    os.chmod(target, 0o644)
    write_private(target, "new")
    assert target.read_text() == "new" and mode(target) == 0o600


def test_a_planted_symlink_is_refused_and_its_target_untouched(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    link = tmp_path / "r.csv"
    link.symlink_to(victim)
    with pytest.raises(InputError, match="symbolic link"):
        write_private(link, "evil")
    assert victim.read_text() == "precious" and link.is_symlink()


def test_the_input_file_is_never_overwritten(tmp_path):
    source = tmp_path / "caseload.csv"
    source.write_text("child_id\nC1\n")
    with pytest.raises(InputError, match="input file"):
        write_private(tmp_path / "." / "caseload.csv", "x", inputs=[source])
    hard = tmp_path / "hard.csv"
    os.link(source, hard)
    with pytest.raises(InputError, match="input file"):
        write_private(hard, "x", inputs=[source])
    assert source.read_text() == "child_id\nC1\n"


def test_no_folder_is_created_where_a_path_points(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        write_private(tmp_path / "no" / "such" / "r.csv", "x")
    assert not (tmp_path / "no").exists()


def test_a_directory_is_refused(tmp_path):
    with pytest.raises(InputError, match="directory"):
        write_private(tmp_path, "x")


def test_the_message_is_one_line_naming_the_path(tmp_path):
    link = tmp_path / "r.csv"
    link.symlink_to(tmp_path / "elsewhere")
    with pytest.raises(InputError) as err:
        write_private(link, "x")
    assert str(err.value).startswith(str(link)) and "\n" not in str(err.value)


@pytest.mark.parametrize("raw, shown", [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
    ("+1+2", "'+1+2"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("-1", "-1"), ("+44", "+44"), ("-1.5", "-1.5"), ("Team A", "Team A"), ("", ""), (3, 3), (None, None),
])
def test_formula_cells_are_neutralised(raw, shown):
    assert safe_cell(raw) == shown
