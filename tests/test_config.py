"""Settings: defaults, the generated secret, refusal of unsafe values, and README coverage."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest
from pydantic import ValidationError

from app.config import Settings

README = Path(__file__).resolve().parent.parent / "README.md"


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = README.read_text(encoding="utf-8")
    documented = set(re.findall(r"`GRADCARDS_([A-Z_]+)`", readme))
    missing = {name.upper() for name in Settings.model_fields} - documented
    assert not missing, f"settings missing from README.md: {sorted(missing)}"


def test_defaults_put_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.database_url == f"sqlite:///{tmp_path / 'gradcards.db'}"
    assert settings.host == "127.0.0.1"
    assert settings.port == 8000


def test_secret_key_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = Settings(data_dir=tmp_path).secret_key
    second = Settings(data_dir=tmp_path).secret_key
    assert first == second
    assert len(first) >= 32
    key_file = tmp_path / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert Settings(data_dir=tmp_path / "other").secret_key != first


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GRADCARDS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("GRADCARDS_PORT", "9123")
    monkeypatch.setenv("GRADCARDS_LOG_LEVEL", "debug")
    settings = Settings()
    assert settings.port == 9123
    assert settings.log_level == "debug"
    assert settings.data_dir == tmp_path


def test_a_short_secret_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="at least 32 characters"):
        Settings(data_dir=tmp_path, secret_key="changeme")


@pytest.mark.parametrize(
    ("name", "value"), [("PORT", "0"), ("PORT", "70000"), ("PORT", "http"), ("LOG_LEVEL", "loud")]
)
def test_bad_environment_values_are_refused_naming_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(f"GRADCARDS_{name}", value)
    with pytest.raises(ValidationError, match=name.lower()):
        Settings(data_dir=tmp_path)
