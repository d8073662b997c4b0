"""Team names: cleaning, the shipped alias map (real spellings), extending it, slugs."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

import soccerpredict.data.teams as teams_module
from soccerpredict.data.teams import TeamNames, canonical_team, clean_team_name, default_team_names, team_slug

ALIASES_CSV = Path(teams_module.__file__).with_name("team_aliases.csv")


def test_names_are_stripped_and_inner_whitespace_collapsed() -> None:
    assert clean_team_name("  Man \t  United ") == "Man United"
    assert canonical_team("Kaiserslautern ") == "Kaiserslautern"


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [
        ("M'Gladbach", "M'gladbach"),
        ("St. Pauli", "St Pauli"),
        ("Middlesboro", "Middlesbrough"),
        ("Villareal", "Villarreal"),
        ("Espanyol", "Espanol"),
        (" Yiannina ", "Giannina"),
    ],
)
def test_shipped_map_merges_real_spelling_variants(alias: str, canonical: str) -> None:
    assert canonical_team(alias) == canonical
    assert canonical_team(canonical) == canonical


def test_shipped_aliases_file_is_well_formed() -> None:
    with ALIASES_CSV.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and all(set(row) == {"alias", "canonical", "source"} and all(row.values()) for row in rows)
    aliases = [row["alias"] for row in rows]
    assert len(aliases) == len(set(aliases))
    assert not set(aliases) & {row["canonical"] for row in rows}, "a canonical name must not itself be an alias"


def test_shipped_aliases_are_spellings_found_in_the_archive(shared_data: Path) -> None:
    archive = b"\n".join(path.read_bytes() for path in (shared_data / "football-data").glob("*/*.csv"))
    for alias, canonical in default_team_names().aliases().items():
        assert f",{alias},".encode() in archive, f"alias {alias!r} is in no football-data file"
        assert f",{canonical},".encode() in archive, f"canonical {canonical!r} is in no football-data file"


def test_add_extends_the_map() -> None:
    names = TeamNames()
    names.add("Manchester United", "Man United")
    names.add(" Manchester  Utd ", "Manchester United")  # chains resolve to the final name
    assert names.canonical("Manchester Utd") == "Man United"
    assert names.canonical("Man United") == "Man United"
    assert names.canonical("Unknown FC") == "Unknown FC"
    assert names.aliases() == {"Manchester United": "Man United", "Manchester Utd": "Man United"}
    assert "Manchester United" in names and len(names) == 2


def test_renaming_a_canonical_name_moves_its_aliases() -> None:
    names = TeamNames({"Man Utd": "Man United"})
    names.add("Man United", "Manchester United")
    assert names.canonical("Man Utd") == "Manchester United"


def test_add_refuses_cycles_and_empty_names() -> None:
    names = TeamNames({"A": "B"})
    with pytest.raises(ValueError, match="cycle"):
        names.add("B", "A")
    with pytest.raises(ValueError, match="empty"):
        names.add(" ", "A")


def test_from_csv_text_reads_alias_rows() -> None:
    names = TeamNames.from_csv_text("alias,canonical,source\nNottm Forest,Nott'm Forest,test\n")
    assert names.canonical("Nottm Forest") == "Nott'm Forest"


def test_default_map_is_not_read_on_import() -> None:
    code = "import soccerpredict.data.teams as t; assert t._default is None; t.canonical_team('x'); assert t._default"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_default_map_is_shared_so_scrapers_can_extend_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(teams_module, "_default", None)  # a fresh map for this test, the original comes back after
    default_team_names().add("Borussia Monchengladbach", "M'gladbach")
    assert canonical_team("Borussia Monchengladbach") == "M'gladbach"
    assert canonical_team("M'Gladbach") == "M'gladbach"  # the shipped aliases are still there


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Nott'm Forest", "nott-m-forest"),
        ("Man United", "man-united"),
        ("Düsseldorf", "dusseldorf"),
        ("1. FC Köln", "1-fc-koln"),
        ("King’s Lynn", "king-s-lynn"),
        ("King's Lynn", "king-s-lynn"),
        ("Kasımpaşa", "kasimpasa"),
        ("Ad. Demirspor", "ad-demirspor"),
        ("  St. Gilloise  ", "st-gilloise"),
    ],
)
def test_team_slug_is_ascii_and_hyphenated(name: str, slug: str) -> None:
    assert team_slug(name) == slug


def test_team_slug_of_a_name_without_latin_letters_is_not_empty() -> None:
    assert team_slug("ΑΕΚ") and team_slug("ΑΕΚ") != team_slug("ΠΑΟΚ")
