"""Where NextHub keeps its files: the one module that knows.

Everything NextHub writes lives under the four folders named here (data,
config, cache, logs), so that "delete all my data" and uninstall can find all
of it. By default they are the platform's per-user application folders from
platformdirs. ``NEXTHUB_HOME=<dir>`` puts all four under one folder instead:
portable mode for a USB stick, and the way every test isolates itself.

Nothing here creates a folder at import time; :meth:`AppPaths.ensure` does,
with owner-only permissions, when something is about to be written.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "NextHub"
APP_AUTHOR = "NextHub"
HOME_ENV = "NEXTHUB_HOME"


@dataclass(frozen=True)
class AppPaths:
    """The folders of one NextHub installation."""

    data: Path
    config: Path
    cache: Path
    logs: Path
    #: The ``NEXTHUB_HOME`` folder in portable mode; None for the platform's folders.
    home: Path | None = None

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None) -> AppPaths:
        """Resolve the folders, honouring ``NEXTHUB_HOME`` when it is set."""
        env = os.environ if environ is None else environ
        home = env.get(HOME_ENV, "").strip()
        if home:
            return cls.under(Path(home).expanduser())
        return cls(
            data=Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR)),
            config=Path(platformdirs.user_config_dir(APP_NAME, APP_AUTHOR)),
            cache=Path(platformdirs.user_cache_dir(APP_NAME, APP_AUTHOR)),
            logs=Path(platformdirs.user_log_dir(APP_NAME, APP_AUTHOR)),
        )

    @classmethod
    def under(cls, home: Path) -> AppPaths:
        """All four folders below one directory (portable mode)."""
        home = home.resolve()
        return cls(
            data=home / "data",
            config=home / "config",
            cache=home / "cache",
            logs=home / "logs",
            home=home,
        )

    @property
    def models_dir(self) -> Path:
        """Model files NextHub copied or downloaded (user-referenced files stay put)."""
        return self.data / "models"

    @property
    def model_registry_file(self) -> Path:
        """The list of installed models."""
        return self.data / "models.json"

    @property
    def chats_db_file(self) -> Path:
        """The encrypted chat database (SQLCipher); its WAL and SHM sit beside it."""
        return self.data / "chats.db"

    @property
    def api_keys_file(self) -> Path:
        """The localhost server's API keys, as SHA-256 hashes only (owner-only file)."""
        return self.data / "api_keys.json"

    @property
    def settings_file(self) -> Path:
        """The app's settings (threads, theme, default model...): no chat content."""
        return self.config / "settings.json"

    @property
    def telemetry_dir(self) -> Path:
        """Telemetry's counts and reports (only while it is on; turning it off deletes it)."""
        return self.data / "telemetry"

    @property
    def telemetry_consent_file(self) -> Path:
        """The telemetry answer (yes or no, and the report schema it was given for)."""
        return self.config / "telemetry.json"

    @property
    def downloads_dir(self) -> Path:
        """Partial downloads, kept so an interrupted download can resume."""
        return self.cache / "downloads"

    def all_locations(self) -> dict[str, Path]:
        """Every folder NextHub may write to, by role, for listing and wiping."""
        return {"data": self.data, "config": self.config, "cache": self.cache, "logs": self.logs}

    def owned_folders(self) -> list[Path]:
        """The outermost folders that hold nothing but NextHub's: what a full wipe deletes.

        In portable mode these are the four folders (``NEXTHUB_HOME`` itself may
        hold other things of the user's). Otherwise each folder is climbed while
        its parent is named after the app or its author, which platformdirs made
        for NextHub alone: ``~/.local/state/NextHub`` above the log folder on
        Linux, ``%LOCALAPPDATA%\\NextHub`` above ``NextHub\\NextHub`` on Windows.
        Nested folders (Windows keeps the cache inside the data folder) are
        listed once, by the outermost.
        """
        tops: list[Path] = []
        for folder in self.all_locations().values():
            top = folder
            if self.home is None:
                while top.parent.name in {APP_NAME, APP_AUTHOR} and top.parent != top:
                    top = top.parent
            tops.append(top)
        return [
            top
            for top in dict.fromkeys(tops)
            if not any(other != top and top.is_relative_to(other) for other in tops)
        ]

    def ensure(self) -> AppPaths:
        """Create the folders (owner-only) if they are missing, and return self."""
        for folder in self.all_locations().values():
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        return self
