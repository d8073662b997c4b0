"""Properties of parse_football_data over generated files: order, junk cells, arbitrary bytes, slugs."""

from __future__ import annotations

import re
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from soccerpredict.data.parsed import ParsedFile
from soccerpredict.data.sources.football_data import parse_football_data
from soccerpredict.data.teams import team_slug
from soccerpredict.errors import SourceParseError

HEADER = "Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,FTR,HTHG,HTAG,HTR,B365H,B365D,B365A"
TEAMS = [f"Team {letter}" for letter in "ABCDEFGHIJKL"]
RESULT_CELLS = {"FTHG": 4, "FTAG": 5, "FTR": 6, "HTHG": 7, "HTAG": 8}
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def outcome(home: int, away: int) -> str:
    return "H" if home > away else "A" if home < away else "D"


@st.composite
def match_rows(draw: st.DrawFn) -> list[str]:
    """Valid, distinct match rows of one season (each (day, home, away) at most once)."""
    keys = draw(
        st.lists(
            st.tuples(st.integers(0, 280), st.sampled_from(TEAMS), st.sampled_from(TEAMS)).filter(
                lambda k: k[1] != k[2]
            ),
            min_size=1,
            max_size=25,
            unique=True,
        )
    )
    rows = []
    for day, home, away in keys:
        fthg, ftag = draw(st.integers(0, 6)), draw(st.integers(0, 6))
        hthg, htag = draw(st.integers(0, fthg)), draw(st.integers(0, ftag))
        when = date(2021, 8, 1) + timedelta(days=day)
        odds = draw(st.sampled_from(["2.1,3.4,3.5", "1.5,4.2,6.5", ",,"]))
        rows.append(
            f"E0,{when:%d/%m/%Y},{home},{away},{fthg},{ftag},{outcome(fthg, ftag)},"
            f"{hthg},{htag},{outcome(hthg, htag)},{odds}"
        )
    return rows


def odds_set(parsed: ParsedFile) -> set[tuple[object, ...]]:
    return set(map(tuple, parsed.odds.to_numpy().tolist()))


def parse_rows(rows: list[str]) -> ParsedFile:
    return parse_football_data(("\n".join([HEADER, *rows]) + "\n").encode(), source="generated.csv")


@FAST
@given(rows=match_rows(), data=st.data())
def test_any_order_of_rows_gives_the_same_matches_and_odds(rows: list[str], data: st.DataObject) -> None:
    shuffled = data.draw(st.permutations(rows))
    first, second = parse_rows(rows), parse_rows(list(shuffled))
    assert first.rejections == [] and second.rejections == []
    assert set(first.matches["match_id"]) == set(second.matches["match_id"])
    assert len(first.matches) == len(rows)
    assert odds_set(first) == odds_set(second)
    assert first.season == second.season == "2122"


def is_junk(text: str) -> bool:
    """Not blank, not a number (in any spelling Python reads) and not a result letter."""
    try:
        float(text)
    except ValueError:
        return bool(text.strip()) and text.strip() not in {"H", "D", "A"}
    return False


# No lone surrogates ("Cs"): a CSV file's text is always encodable, and a surrogate cannot be.
JUNK_CHARS = st.characters(blacklist_characters=',"\r\n', blacklist_categories=("Cs",))
JUNK = st.text(alphabet=JUNK_CHARS, min_size=1, max_size=6).filter(is_junk)


@FAST
@given(rows=match_rows(), data=st.data())
def test_junk_in_one_result_cell_rejects_that_row_only(rows: list[str], data: st.DataObject) -> None:
    victim = data.draw(st.integers(0, len(rows) - 1))
    column = data.draw(st.sampled_from(sorted(RESULT_CELLS)))
    cells = rows[victim].split(",")
    cells[RESULT_CELLS[column]] = data.draw(JUNK)
    broken = [*rows[:victim], ",".join(cells), *rows[victim + 1 :]]
    parsed = parse_rows(broken)
    assert [(r.line, r.scope) for r in parsed.rejections] == [(victim + 2, "row")]
    assert len(parsed.matches) == len(rows) - 1
    assert victim + 2 not in set(parsed.matches["line"])


@FAST
@given(rows=match_rows(), data=st.data())
def test_a_file_cut_anywhere_in_its_last_row_rejects_that_row_only(rows: list[str], data: st.DataObject) -> None:
    content = ("\n".join([HEADER, *rows]) + "\n").encode()
    last = len(rows[-1]) + 1  # the last row and its line break
    cut = data.draw(st.integers(1, last - 1), label="bytes of the last row kept")
    # Division and season given, as for <DIV>/<SEASON>.csv: a file whose only row is cut has nothing to infer them from.
    parsed = parse_football_data(content[: len(content) - last + cut], source="cut.csv", div="E0", season="2122")
    assert [(r.line, r.scope) for r in parsed.rejections] == [(len(rows) + 1, "row")]
    assert parsed.rejections[0].reason.startswith("truncated row:")
    assert list(parsed.matches["line"]) == list(range(2, len(rows) + 1))


@settings(max_examples=150, deadline=None)
@given(
    content=st.binary(max_size=400)
    | st.text(alphabet=',\r\n"/0123456789DivatHomeTAwyFGR ', max_size=400).map(str.encode)
)
def test_arbitrary_bytes_parse_or_raise_source_parse_error_only(content: bytes) -> None:
    try:
        parsed = parse_football_data(b"Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,FTR\n" + content, source="fuzz.csv")
    except SourceParseError:
        return
    assert parsed.matches["match_id"].is_unique
    assert parsed.rows_rejected + len(parsed.matches) >= 0


@given(name=st.text(max_size=30))
def test_team_slugs_are_lowercase_ascii_words_joined_by_hyphens(name: str) -> None:
    slug = team_slug(name)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug)
    assert team_slug(f"  {name}  ") == slug or not name.strip()
