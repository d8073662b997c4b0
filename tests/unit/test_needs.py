"""A missing tool or service skips a test on a developer's machine and fails it under CI."""

from __future__ import annotations

import pytest
from needs import in_ci, missing


@pytest.mark.parametrize("value", ["true", "1", "TRUE", "yes"])
def test_under_ci_a_missing_need_fails(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CI", value)
    assert in_ci()
    with pytest.raises(pytest.fail.Exception, match="no Redis at redis://x; CI provides it"):
        missing("no Redis at redis://x")


@pytest.mark.parametrize("value", [None, "", "false", "0"])
def test_elsewhere_a_missing_need_skips(monkeypatch: pytest.MonkeyPatch, value: str | None) -> None:
    if value is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", value)
    assert not in_ci()
    with pytest.raises(pytest.skip.Exception, match="no Chromium"):
        missing("no Chromium")
