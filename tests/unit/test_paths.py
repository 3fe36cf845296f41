"""NEXTHUB_HOME puts everything under one folder; otherwise the platform's app folders."""

from pathlib import Path

from nexthub.paths import AppPaths


def test_nexthub_home_puts_every_folder_under_it(tmp_path: Path) -> None:
    paths = AppPaths.from_environment({"NEXTHUB_HOME": str(tmp_path / "portable")})
    for folder in paths.all_locations().values():
        assert folder.is_relative_to(tmp_path / "portable")
    assert len(set(paths.all_locations().values())) == 4
    assert paths.models_dir.is_relative_to(paths.data)
    assert paths.downloads_dir.is_relative_to(paths.cache)


def test_without_nexthub_home_the_platform_folders_are_used(tmp_path: Path) -> None:
    paths = AppPaths.from_environment({"HOME": str(tmp_path)})
    for folder in paths.all_locations().values():
        assert "nexthub" in str(folder).lower()
        assert not folder.is_relative_to(tmp_path / "portable")


def test_nothing_is_created_until_asked(tmp_path: Path) -> None:
    paths = AppPaths.under(tmp_path / "home")
    assert not (tmp_path / "home").exists()
    paths.ensure()
    for folder in paths.all_locations().values():
        assert folder.is_dir()
        assert folder.stat().st_mode & 0o077 == 0, "app folders are private to the user"
