"""Team names: one canonical spelling per club (football-data.co.uk's current one), every other spelling an alias.

The shipped map is read from ``team_aliases.csv`` (``alias,canonical,source``) on first use, never on
import. Scrapers extend it with their own spellings (WhoScored's "Manchester United" -> "Man United")
through :meth:`TeamNames.add`.
"""

from __future__ import annotations

import csv
import io
import re
import threading
import unicodedata
from collections.abc import Iterable, Mapping
from importlib import resources

__all__ = ["TeamNames", "canonical_team", "clean_team_name", "default_team_names", "team_slug"]

ALIASES_RESOURCE = "team_aliases.csv"
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
#: Latin letters that Unicode does not decompose into a base letter plus accent.
_UNDECOMPOSABLE = str.maketrans(
    {"ß": "ss", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "đ": "d", "Đ": "D"}
    | {"ł": "l", "Ł": "L", "ı": "i", "þ": "th", "Þ": "Th", "ð": "d", "Ð": "D"}
)


def clean_team_name(name: str) -> str:
    """``name`` without surrounding whitespace and with inner runs of whitespace collapsed to one space."""
    return " ".join(name.split())


def team_slug(name: str) -> str:
    """ASCII lower-case slug for match ids: ``"Nott'm Forest"`` -> ``"nott-m-forest"``, ``"Köln"`` -> ``"koln"``."""
    decomposed = unicodedata.normalize("NFKD", name.translate(_UNDECOMPOSABLE))
    # Drop accents only; any other non-ASCII character (the curly quote of "King’s Lynn") separates words,
    # like its ASCII twin does, so both spellings give the same slug.
    folded = "".join(char for char in decomposed if not unicodedata.combining(char))
    slug = _NON_ALNUM.sub("-", folded.lower()).strip("-")
    # A name with no Latin letters at all would slug to "" and collide with every other such name.
    return slug or "x" + clean_team_name(name).encode("utf-8").hex()


class TeamNames:
    """Alias map: any known spelling -> canonical name; a name that is no alias is its own canonical name."""

    def __init__(self, aliases: Mapping[str, str] | Iterable[tuple[str, str]] = ()) -> None:
        self._aliases: dict[str, str] = {}
        self._lock = threading.Lock()
        pairs = aliases.items() if isinstance(aliases, Mapping) else aliases
        for alias, canonical in pairs:
            self.add(alias, canonical)

    @classmethod
    def from_csv_text(cls, text: str) -> TeamNames:
        """Read ``alias,canonical[,source]`` rows (a header line first)."""
        rows = csv.DictReader(io.StringIO(text))
        return cls((row["alias"], row["canonical"]) for row in rows if row.get("alias") and row.get("canonical"))

    def add(self, alias: str, canonical: str) -> None:
        """Map ``alias`` to ``canonical``; chains collapse (a -> b, b -> c makes a -> c), a cycle is refused."""
        alias, canonical = clean_team_name(alias), clean_team_name(canonical)
        if not alias or not canonical:
            raise ValueError(f"team alias and canonical name must not be empty: {alias!r} -> {canonical!r}")
        with self._lock:
            target = self._aliases.get(canonical, canonical)
            if target == alias:
                raise ValueError(f"alias {alias!r} -> {canonical!r} would make a cycle ({canonical!r} is {alias!r})")
            if alias == canonical:
                return
            self._aliases[alias] = target
            # Names that pointed at the new alias now point at its canonical name, so lookups stay one step.
            for other, name in self._aliases.items():
                if name == alias:
                    self._aliases[other] = target

    def canonical(self, name: str) -> str:
        """The canonical spelling of ``name`` (whitespace cleaned)."""
        cleaned = clean_team_name(name)
        return self._aliases.get(cleaned, cleaned)

    def aliases(self) -> dict[str, str]:
        """A copy of the map, alias -> canonical name."""
        return dict(self._aliases)

    def __len__(self) -> int:
        return len(self._aliases)

    def __contains__(self, alias: object) -> bool:
        return isinstance(alias, str) and clean_team_name(alias) in self._aliases


_default: TeamNames | None = None
_default_lock = threading.Lock()


def default_team_names() -> TeamNames:
    """The process-wide map seeded from the shipped ``team_aliases.csv`` (read on first call)."""
    global _default
    with _default_lock:
        if _default is None:
            text = resources.files("soccerpredict.data").joinpath(ALIASES_RESOURCE).read_text(encoding="utf-8")
            _default = TeamNames.from_csv_text(text)
        return _default


def canonical_team(name: str) -> str:
    """The canonical spelling of a team name under the process-wide map."""
    return default_team_names().canonical(name)
