"""Where football-data.co.uk files are: a file, a folder of them or a site URL (:func:`discover`), and their bytes.

The I/O edge of the source: :func:`read_source` reads a file or downloads a URL; parsing is pure and lives
in :mod:`~soccerpredict.data.sources.football_data.parse`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import httpx

from soccerpredict.data.columns import is_season_code
from soccerpredict.errors import SourceError

__all__ = ["SourceRef", "discover", "read_source"]

_URL: Final = re.compile(r"/mmz4281/(?P<season>\d{4})/(?P<div>[A-Za-z0-9]+)\.csv$")
_DIV_NAME: Final = re.compile(r"[A-Z]{1,3}\d?")


@dataclass(frozen=True, slots=True)
class SourceRef:
    """Where a file is (path or URL), and its division and season when the location tells them."""

    location: str
    div: str | None = None
    season: str | None = None

    @property
    def is_url(self) -> bool:
        """Whether the location is an http(s) URL."""
        return _is_url(self.location)


def _is_url(target: str) -> bool:
    return target.lower().startswith(("http://", "https://"))


def discover(target: str) -> list[SourceRef]:
    """The sources behind a file, a folder (every ``**/*.csv``, sorted) or an ``…/mmz4281/<SEASON>/<DIV>.csv`` URL."""
    if _is_url(target):
        match = _URL.search(target.split("?", 1)[0])
        return [SourceRef(target, match["div"], match["season"]) if match else SourceRef(target)]
    path = Path(target).expanduser()
    if path.is_file():
        return [_file_ref(path)]
    if path.is_dir():
        refs = [_file_ref(p) for p in sorted(path.rglob("*.csv")) if p.is_file()]
        if not refs:
            raise SourceError(f"no .csv files under the folder {target}")
        return refs
    raise SourceError(f"source not found: {target} is not an existing file or folder, nor an http(s) URL")


def _file_ref(path: Path) -> SourceRef:
    """Division and season from ``<DIV>/<SEASON>.csv`` (the archive layout) or ``<SEASON>/<DIV>.csv`` (the site's)."""
    parent, stem = path.parent.name, path.stem
    if is_season_code(stem) and _DIV_NAME.fullmatch(parent):
        return SourceRef(str(path), parent, stem)
    if is_season_code(parent) and _DIV_NAME.fullmatch(stem):
        return SourceRef(str(path), stem, parent)
    return SourceRef(str(path))


def read_source(ref: SourceRef, *, timeout: float) -> bytes:
    """The bytes of a file, or of a URL downloaded with redirects followed; :class:`SourceError` names what failed."""
    if not ref.is_url:
        try:
            return Path(ref.location).expanduser().read_bytes()
        except FileNotFoundError as exc:
            raise SourceError(f"source file not found: {ref.location}") from exc
        except OSError as exc:
            raise SourceError(f"cannot read {ref.location}: {exc.strerror or exc}") from exc
    try:
        response = httpx.get(ref.location, timeout=timeout, follow_redirects=True)
    except httpx.TimeoutException as exc:
        raise SourceError(
            f"download of {ref.location} timed out after {timeout:g} s; retry or raise the timeout"
        ) from exc
    except httpx.HTTPError as exc:
        raise SourceError(f"download of {ref.location} failed: {exc}") from exc
    if response.is_error:
        raise SourceError(
            f"download of {ref.location} failed: HTTP {response.status_code} {response.reason_phrase}".rstrip()
        )
    return response.content
