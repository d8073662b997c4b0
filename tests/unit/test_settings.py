from pathlib import Path

import pytest

from soccerpredict.settings import Settings


def test_embedded_defaults_live_under_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SOCCER_HOME", str(tmp_path / "state"))
    monkeypatch.delenv("SOCCER_DB_URL", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    settings = Settings()
    assert settings.database_url == f"sqlite:///{tmp_path / 'state' / 'soccerpredict.db'}"
    assert settings.store_root == (tmp_path / "state" / "store").as_uri()
    assert settings.tracking_uri.startswith("sqlite:///")
    assert not (tmp_path / "state").exists(), "settings must not create anything"


def test_real_services_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOCCER_DB_URL", "postgresql+psycopg://u@db:5432/soccer")
    monkeypatch.setenv("SOCCER_STORE_URI", "s3://bucket/prefix")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://mlflow:5000")
    monkeypatch.setenv("SOCCER_API_KEYS", '["k1", "k2"]')
    settings = Settings()
    assert settings.database_url == "postgresql+psycopg://u@db:5432/soccer"
    assert settings.store_root == "s3://bucket/prefix"
    assert settings.tracking_uri == "http://mlflow:5000"
    assert [k.get_secret_value() for k in settings.api_keys] == ["k1", "k2"]
    assert "k1" not in repr(settings), "API keys must never be printed"
