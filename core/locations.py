"""Every path dipaudit uses, in one place (platformdirs). Nothing is created on import."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_config_path, user_data_path

APP = "dipaudit"


def config_dir() -> Path:
    return Path(os.environ.get("DIPAUDIT_CONFIG_DIR") or user_config_path(APP))


def config_file() -> Path:
    return Path(os.environ.get("DIPAUDIT_CONFIG") or config_dir() / "config.toml")


def data_dir() -> Path:
    return Path(os.environ.get("DIPAUDIT_DATA_DIR") or user_data_path(APP))


def default_db() -> Path:
    return data_dir() / "dipaudit.db"


def demo_db() -> Path:
    return data_dir() / "demo.db"


def templates_dir() -> Path:
    """A council's own templates (case note, messages) override the packaged ones."""
    return config_dir() / "templates"


def programmes_dir() -> Path:
    return config_dir() / "programmes"
