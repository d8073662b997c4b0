"""parse_football_data: real files (golden rows, every file of the archive), each messiness case, each rule."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from soccerpredict.data.columns import MARKET_AVG, MARKET_MAX, MATCH_COLUMNS, ODDS_COLUMNS
from soccerpredict.data.parsed import ParsedFile
from soccerpredict.data.sources.football_data import odds_triples, parse_football_data
from soccerpredict.data.teams import TeamNames
from soccerpredict.errors import SourceParseError

HEADER = "Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,FTR,HTHG,HTAG,HTR,B365H,B365D,B365A"
ROW_A = "E0,12/08/2023,Arsenal,Forest,2,1,H,1,0,H,1.25,6.5,11"
ROW_B = "E0,12/08/2023,Everton,Fulham,0,1,A,0,0,D,2.2,3.3,3.5"
ROW_C = "E0,13/08/2023,Brentford,Tottenham,2,2,D,2,1,H,3.1,3.6,2.25"


def csv_bytes(*lines: str, eol: str = "\n", encoding: str = "utf-8") -> bytes:
    return (eol.join(lines) + eol).encode(encoding)


def parse(*lines: str, div: str | None = None, season: str | None = None) -> ParsedFile:
    return parse_football_data(csv_bytes(*lines), source="test.csv", div=div, season=season)


def match_of(parsed: ParsedFile, match_id: str) -> pd.Series:
    matches = parsed.matches
    return matches.loc[matches["match_id"] == match_id].iloc[0]


def prices(parsed: ParsedFile, match_id: str, bookmaker: str, kind: str) -> tuple[float, ...]:
    odds = parsed.odds
    row = odds.loc[(odds["match_id"] == match_id) & (odds["bookmaker"] == bookmaker) & (odds["kind"] == kind)]
    assert len(row) == 1, f"expected one {bookmaker} {kind} row for {match_id}, got {len(row)}"
    return tuple(float(price) for price in row[["home", "draw", "away"]].iloc[0])


# ------------------------------------------------------------------------------------- real files


def test_golden_first_match_of_premier_league_2023_24(sample_dir: Path) -> None:
    parsed = parse_football_data((sample_dir / "E0/2324.csv").read_bytes(), source="E0/2324.csv")
    assert (parsed.div, parsed.season, len(parsed.matches), parsed.rows_rejected) == ("E0", "2324", 380, 0)
    assert [str(r) for r in parsed.rejections] == [
        "E0/2324.csv:323: odds overround out of range: market_max close 1.63/7/13 sums to 0.833 in inverse, "
        "allowed 0.90 to 1.25"
    ]
    first = parsed.matches.iloc[0]
    assert first["match_id"] == "E0-20230811-burnley-man-city"
    assert first["date"] == pd.Timestamp("2023-08-11")
    assert (first["kickoff_time"], first["home_team"], first["away_team"]) == ("20:00", "Burnley", "Man City")
    assert (first["fthg"], first["ftag"], first["ftr"], first["hthg"], first["htag"], first["htr"]) == (
        0,
        3,
        "A",
        0,
        2,
        "A",
    )
    assert (first["status"], first["referee"], first["line"]) == ("finished", "C Pawson", 2)
    stats = first[["home_shots", "away_shots", "home_shots_on_target", "away_shots_on_target"]].tolist()
    assert stats == [6, 17, 1, 8]
    assert first[["home_fouls", "away_fouls", "home_corners", "away_corners"]].tolist() == [11, 8, 6, 5]
    assert first[["home_yellow", "away_yellow", "home_red", "away_red"]].tolist() == [0, 0, 1, 0]
    match_id = first["match_id"]
    assert prices(parsed, match_id, "B365", "pre") == (8.0, 5.5, 1.33)
    assert prices(parsed, match_id, "PS", "pre") == (8.58, 5.51, 1.37)
    assert prices(parsed, match_id, "PS", "close") == (9.62, 5.81, 1.33)
    assert prices(parsed, match_id, MARKET_AVG, "pre") == (9.02, 5.35, 1.35)
    assert prices(parsed, match_id, MARKET_MAX, "pre") == (9.5, 5.68, 1.39)
    assert prices(parsed, match_id, MARKET_AVG, "close") == (9.27, 5.45, 1.33)
    assert prices(parsed, match_id, MARKET_MAX, "close") == (10.5, 5.81, 1.36)
    assert len(parsed.odds.loc[parsed.odds["match_id"] == match_id]) == 16  # 8 books and aggregates x pre/close


def test_frames_follow_the_column_contract(sample_dir: Path) -> None:
    parsed = parse_football_data((sample_dir / "D1/2122.csv").read_bytes(), source="D1/2122.csv")
    assert tuple(parsed.matches.columns) == (*MATCH_COLUMNS, "line")
    assert tuple(parsed.odds.columns) == ODDS_COLUMNS
    assert str(parsed.matches["date"].dtype) == "datetime64[ns]"
    assert all(str(parsed.matches[c].dtype) == "Int64" for c in ("fthg", "ftag", "hthg", "htag", "home_shots"))
    assert set(parsed.odds["kind"]) == {"pre", "close"}
    assert parsed.odds[["home", "draw", "away"]].dtypes.eq("float64").all()
    assert parsed.checksum == hashlib.sha256((sample_dir / "D1/2122.csv").read_bytes()).hexdigest()


@pytest.mark.slow
def test_every_real_file_parses_with_plausible_counts(shared_data: Path) -> None:
    files = sorted((shared_data / "football-data").glob("*/*.csv"))
    assert len(files) == 607
    totals: Counter[str] = Counter()
    rules: Counter[str] = Counter()
    for path in files:
        div, season = path.parent.name, path.stem
        parsed = parse_football_data(path.read_bytes(), source=str(path))  # div and season from the content
        where = f"{div}/{season}.csv"
        assert (parsed.div, parsed.season) == (div, season), f"{where}: read as {parsed.div}/{parsed.season}"
        matches = parsed.matches
        assert 30 <= len(matches) <= 560, f"{where}: {len(matches)} matches"
        assert parsed.rows_rejected <= 3, f"{where}: {[str(r) for r in parsed.rejections if r.scope == 'row']}"
        assert matches["match_id"].is_unique, f"{where}: duplicate match ids"
        start = pd.Timestamp(f"{1900 + int(season[:2]) if season[:2] >= '90' else 2000 + int(season[:2])}-07-01")
        assert matches["date"].between(start, start + pd.DateOffset(months=14)).all(), f"{where}: dates off-season"
        assert matches["home_team"].ne(matches["away_team"]).all(), where
        assert set(parsed.odds["match_id"]) <= set(matches["match_id"]), f"{where}: odds of unknown matches"
        totals.update(matches=len(matches), blank=parsed.blank_rows, odds=len(parsed.odds))
        totals.update(matches["status"])
        rules.update(r.reason.split(":")[0] for r in parsed.rejections)
    # No row is short of its match columns and every file ends with a line break: nothing is cut or truncated.
    assert totals["matches"] == totals["finished"] == 212_618 and totals["scheduled"] == 0
    assert totals["blank"] == 19_865  # as counted in the archive's README
    assert totals["odds"] == 1_819_590
    assert rules == {
        "FTR inconsistent with score": 3,  # EC 2005/06 rows 449-452: FTR "D" for 4-0, 2-0, 2-1
        "incomplete result": 1,  # G1 2018/19 Panathinaikos-Olympiakos: abandoned, only a half-time 0-3
        "odds overround out of range": 164,
        "odds incomplete": 22,
        "odds price not above 1.0": 11,  # ten B365H of "0", one MaxCA of "0"
        "odds not a number": 10,  # six all-"NA" triples, "#", "-", "3.53.75", "c"
    }


def test_real_file_with_padded_header_and_blank_rows(shared_data: Path) -> None:
    # E0 1993/94: 22 clubs, results only, 21 empty header names, 90 ",,,,,," rows at the end.
    parsed = parse_football_data((shared_data / "football-data/E0/9394.csv").read_bytes(), source="E0/9394.csv")
    assert (len(parsed.matches), parsed.blank_rows, parsed.rejections, len(parsed.odds)) == (462, 90, [], 0)
    first = parsed.matches.iloc[0]
    assert (first["match_id"], first["date"]) == ("E0-19930814-arsenal-coventry", pd.Timestamp("1993-08-14"))
    assert pd.isna(first["hthg"]) and first["htr"] is None and first["kickoff_time"] is None


def test_real_latin1_files_decode_names_right(shared_data: Path) -> None:
    d1 = parse_football_data((shared_data / "football-data/D1/0001.csv").read_bytes(), source="D1/0001.csv")
    assert d1.matches.iloc[0]["referee"] == "Jörg Kessler"  # byte \xf6, with a trailing blank in the file
    ec = parse_football_data((shared_data / "football-data/EC/2021.csv").read_bytes(), source="EC/2021.csv")
    kings = ec.matches.loc[ec.matches["line"] == 11].iloc[0]
    assert (kings["home_team"], kings["match_id"]) == ("King’s Lynn", "EC-20201003-king-s-lynn-yeovil")  # \x92


def test_real_bom_file_reads_its_first_column(shared_data: Path) -> None:
    content = (shared_data / "football-data/F2/2223.csv").read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    parsed = parse_football_data(content, source="F2/2223.csv")
    assert (parsed.div, parsed.season, len(parsed.matches)) == ("F2", "2223", 380)
    assert parsed.matches.iloc[0]["match_id"] == "F2-20220730-dijon-st-etienne"


def test_real_quoted_field_with_comma(shared_data: Path) -> None:
    parsed = parse_football_data((shared_data / "football-data/E0/0102.csv").read_bytes(), source="E0/0102.csv")
    row = parsed.matches.loc[parsed.matches["line"] == 171].iloc[0]
    assert (row["match_id"], row["referee"]) == ("E0-20011222-charlton-blackburn", "Wiley, A. G.")


def test_real_one_digit_days_and_greek_ht_at_columns(shared_data: Path) -> None:
    sp1 = parse_football_data((shared_data / "football-data/SP1/1415.csv").read_bytes(), source="SP1/1415.csv")
    assert "SP1-20141004-almeria-elche" in set(sp1.matches["match_id"])  # "4/10/2014"
    g1 = parse_football_data((shared_data / "football-data/G1/0001.csv").read_bytes(), source="G1/0001.csv")
    assert (len(g1.matches), g1.matches.iloc[0]["match_id"]) == (240, "G1-20000916-olympiakos-eth-asteras")


def test_real_ladbrokes_prices_under_three_lb_columns(shared_data: Path) -> None:
    parsed = parse_football_data((shared_data / "football-data/D2/0405.csv").read_bytes(), source="D2/0405.csv")
    assert prices(parsed, "D2-20040807-dresden-duisburg", "LB", "pre") == (2.25, 3.2, 2.75)


# ------------------------------------------------------------------------------ messiness, hand-built


def test_bom_and_crlf_are_read() -> None:
    parsed = parse_football_data(b"\xef\xbb\xbf" + csv_bytes(HEADER, ROW_A, eol="\r\n"), source="x.csv")
    assert (parsed.div, list(parsed.matches["line"]), parsed.rejections) == ("E0", [2], [])


def test_cp1252_names_are_decoded_and_slugged() -> None:
    content = csv_bytes(HEADER, "D1,12/08/2023,1. FC Köln,Düsseldorf,1,0,H,0,0,D,,,", encoding="cp1252")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    match = parse_football_data(content, source="x.csv").matches.iloc[0]
    assert (match["home_team"], match["match_id"]) == ("1. FC Köln", "D1-20230812-1-fc-koln-dusseldorf")


def test_blank_rows_are_counted_not_rejected_and_lines_stay_physical() -> None:
    parsed = parse(HEADER, ROW_A, ",,,,,,", "", ROW_B, " , ,", ROW_C, ",,,,,,,,,,,,")
    assert parsed.blank_rows == 4
    assert parsed.rejections == []
    assert list(parsed.matches["line"]) == [2, 5, 7]


def test_quoted_multiline_field_keeps_later_line_numbers() -> None:
    header = "Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,FTR,Referee"
    parsed = parse(
        header, 'E0,12/08/2023,Arsenal,Forest,2,1,H,"M Oliver,', 'assisted"', "E0,12/08/2023,Everton,Fulham,0,x,A,"
    )
    assert parsed.matches.iloc[0]["referee"] == "M Oliver,\nassisted"
    assert [str(r) for r in parsed.rejections] == ["test.csv:4: invalid goals: FTAG is 'x', not a whole number >= 0"]


def test_rows_short_only_of_trailing_betting_columns_load_and_long_rows_are_cut() -> None:
    # As in the real 2002/03 files: every match column is there, the last bookmakers' cells are left off.
    short = "E0,12/08/2023,Arsenal,Forest,2,1,H,1,0,H"
    long = "E0,12/08/2023,Everton,Fulham,0,1,A,0,0,D,2.2,3.3,3.5,9,9,9,junk"
    parsed = parse(HEADER + ",,,", short, long)
    assert parsed.rejections == []
    arsenal, everton = parsed.matches.iloc[0], parsed.matches.iloc[1]
    assert (arsenal["hthg"], arsenal["htr"]) == (1, "H")
    assert (everton["ftag"], everton["htr"]) == (1, "D")
    assert list(parsed.odds["match_id"]) == [everton["match_id"]]


def test_two_and_four_digit_years_and_one_digit_days_in_one_file() -> None:
    parsed = parse(HEADER, ROW_A.replace("12/08/2023", "12/08/23"), ROW_B.replace("12/08/2023", "1/9/2023"))
    assert list(parsed.matches["date"]) == [pd.Timestamp("2023-08-12"), pd.Timestamp("2023-09-01")]


def test_two_digit_years_pivot_at_69() -> None:
    parsed = parse(HEADER, ROW_A.replace("12/08/2023", "14/08/93"), ROW_B.replace("12/08/2023", "05/03/94"))
    assert list(parsed.matches["date"].dt.year) == [1993, 1994]
    assert parsed.season == "9394"


def test_columns_are_found_by_name_in_any_order_with_padding_names() -> None:
    header = "Div,HomeTeam,AwayTeam,Date,FTR,FTAG,FTHG,Time,,,"
    parsed = parse(header, "SP1,Sevilla,Betis,09/10/2021,H,0,2,9:30,,,")
    match = parsed.matches.iloc[0]
    assert (match["fthg"], match["ftag"], match["ftr"], match["kickoff_time"]) == (2, 0, "H", "09:30")
    assert match["match_id"] == "SP1-20211009-sevilla-betis"


def test_whitespace_around_cells_and_inside_names_is_cleaned() -> None:
    parsed = parse(HEADER, "E0, 12/08/2023 ,Kaiserslautern ,Man   United, 2,1, H ,1,0,H, 1.25 ,6.5,11")
    match = parsed.matches.iloc[0]
    assert (match["home_team"], match["away_team"], match["ftr"]) == ("Kaiserslautern", "Man United", "H")
    assert prices(parsed, match["match_id"], "B365", "pre") == (1.25, 6.5, 11.0)


def test_fixtures_file_with_blank_results_is_scheduled() -> None:
    header = "Div,Date,Time,HomeTeam,AwayTeam,FTHG,FTAG,FTR,HTHG,HTAG,HTR,B365H,B365D,B365A,PSCH,PSCD,PSCA"
    parsed = parse(
        header,
        "E0,16/08/2024,20:00,Man United,Fulham,,,,,,,1.6,4.2,5.25,,,",
        "E0,17/08/2024,12:30,Ipswich,Liverpool,,,,,,,8,5.5,1.33,,,",
    )
    assert parsed.rejections == [] and parsed.season == "2425"
    assert list(parsed.matches["status"]) == ["scheduled", "scheduled"]
    assert parsed.matches["fthg"].isna().all() and parsed.matches["ftr"].isna().all()
    assert prices(parsed, "E0-20240816-man-united-fulham", "B365", "pre") == (1.6, 4.2, 5.25)
    assert set(parsed.odds["kind"]) == {"pre"}


def test_division_and_season_come_from_the_arguments_first() -> None:
    parsed = parse(HEADER, ROW_A, div="E0", season="2324")
    assert (parsed.div, parsed.season) == ("E0", "2324")
    inferred = parse(HEADER, ROW_A.replace("12/08/2023", "30/06/2024"), ROW_B)
    assert inferred.season == "2324"  # the earliest date, 12 Aug 2023, is after 1 July 2023


def test_season_boundary_is_the_first_of_july() -> None:
    assert parse(HEADER, ROW_A.replace("12/08/2023", "01/07/2019")).season == "1920"
    assert parse(HEADER, ROW_A.replace("12/08/2023", "30/06/2000")).season == "9900"
    assert parse(HEADER, ROW_A.replace("12/08/2023", "12/09/2020")).season == "2021"


def test_team_aliases_apply_before_match_ids() -> None:
    teams = TeamNames({"Manchester United": "Man United"})
    content = csv_bytes(HEADER, "E0,12/08/2023,Manchester United,Fulham,1,0,H,0,0,D,,,")
    match = parse_football_data(content, source="x.csv", teams=teams).matches.iloc[0]
    assert (match["home_team"], match["match_id"]) == ("Man United", "E0-20230812-man-united-fulham")


def test_shipped_aliases_merge_real_spelling_variants() -> None:
    lines = (
        "Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,FTR",
        "D2,01/09/2008,St. Pauli,Mainz,1,1,D",
        "D2,01/09/2008,Mainz,St Pauli,1,1,D",
    )
    parsed = parse(*lines)
    assert set(parsed.matches["home_team"]) | set(parsed.matches["away_team"]) == {"St Pauli", "Mainz"}
    unaliased = parse_football_data(csv_bytes(*lines), source="x.csv", teams=TeamNames())
    assert set(unaliased.matches["home_team"]) == {"St. Pauli", "Mainz"}


# ------------------------------------------------------------------------------------- broken files

FIXTURE_HEADER = "Div,Date,Time,HomeTeam,AwayTeam,FTHG,FTAG,FTR,HTHG,HTAG,HTR,B365H,B365D,B365A"


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        # Five fields of a results row: no result columns at all. It is not a fixture.
        (
            "E0,12/08/2023,15:00,Leeds,Hull",
            "short row: 5 fields where the header has 14; FTHG, FTAG, FTR, HTHG, … missing",
        ),
        (
            "E0,12/08/2023,15:00,Leeds,Hull,1,0",
            "short row: 7 fields where the header has 14; FTR, HTHG, HTAG, HTR missing",
        ),
        ("E0,12/08/2023,15:00,Leeds,Hull,1,0,H,0,0", "short row: 10 fields where the header has 14; HTR missing"),
    ],
)
def test_a_row_cut_before_its_match_columns_is_rejected_not_scheduled(row: str, reason: str) -> None:
    fixture = "E0,13/08/2023,15:00,Leeds,Hull,,,,,,,2.1,3.4,3.5"  # a genuine fixture: every column, results empty
    parsed = parse(FIXTURE_HEADER, ROW_A.replace("12/08/2023,", "12/08/2023,15:00,"), row, fixture)
    assert [(r.line, r.reason, r.scope) for r in parsed.rejections] == [(3, reason, "row")]
    assert list(parsed.matches["line"]) == [2, 4]
    assert list(parsed.matches["status"]) == ["finished", "scheduled"]


def test_a_half_time_score_without_a_full_time_one_is_not_a_fixture() -> None:
    # G1 2018/19 Panathinaikos-Olympiakos: abandoned, half-time 0-3 recorded, full time empty.
    parsed = parse(HEADER, ROW_A, "E0,13/08/2023,Leeds,Hull,,,,0,3,A,,,")
    assert [(r.line, r.reason) for r in parsed.rejections] == [
        (3, "incomplete result: FTHG, FTAG, FTR empty but HTHG '0', HTAG '3', HTR 'A' given")
    ]
    assert list(parsed.matches["status"]) == ["finished"]


def test_statistics_without_a_result_are_not_a_fixture() -> None:
    header = "Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,FTR,HS,AS"
    parsed = parse(header, "E0,13/08/2023,Leeds,Hull,,,,12,7", "E0,14/08/2023,Leeds,Hull,,,,,")
    assert [(r.line, r.reason) for r in parsed.rejections] == [
        (2, "incomplete result: FTHG, FTAG, FTR empty but HS '12', AS '7' given")
    ]
    assert list(parsed.matches["status"]) == ["scheduled"]


TRUNCATED = "truncated row: the file ends inside this row (no line break after it); re-download the file"


@pytest.mark.parametrize(
    "cut",
    [
        "E0,13/08/2023,Brentford,Tottenham,2,2,D,2,1,H,3.1,3.6,2.",  # inside the last price
        "E0,13/08/2023,Brentford,Tottenham,2,2,D,2,1,H,3.1",  # inside the prices: every match column there
        "E0,13/08/2023,Brentford,Tottenham,2,2,D,2,1,H,3.1,3.6,2.25",  # whole, but the line break is missing
        "E0,13/08/2023,Brentford,Totten",  # inside a team name
        'E0,13/08/2023,Brentford,"Totten',  # inside a quoted field: csv reads it to the end of the file
        'E0,13/08/2023,Brentford,"Tottenham\n',  # a quote never closed, then the last line break
    ],
)
def test_a_file_cut_mid_line_rejects_its_last_row_and_loads_the_rest(cut: str) -> None:
    content = csv_bytes(HEADER, ROW_A, ROW_B) + cut.encode()
    parsed = parse_football_data(content, source="cut.csv")
    assert [(str(r), r.scope) for r in parsed.rejections] == [(f"cut.csv:4: {TRUNCATED}", "row")]
    assert list(parsed.matches["line"]) == [2, 3]


def test_a_cut_cp1252_file_is_decoded_and_its_last_row_rejected() -> None:
    content = csv_bytes(HEADER, "D1,12/08/2023,1. FC Köln,Düsseldorf,1,0,H,0,0,D,,,", encoding="cp1252")
    content += "D1,13/08/2023,Mönchengladbach,Bayern Mü".encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    parsed = parse_football_data(content, source="cut.csv")
    assert [r.line for r in parsed.rejections] == [3]
    assert parsed.rejections[0].reason == TRUNCATED
    assert list(parsed.matches["home_team"]) == ["1. FC Köln"]


def test_rows_of_commas_at_the_end_without_a_line_break_are_blank_not_truncated() -> None:
    content = csv_bytes(HEADER, ROW_A, ROW_B) + b",,,,,,,,,,,,"
    parsed = parse_football_data(content, source="x.csv")
    assert (parsed.rejections, parsed.blank_rows, len(parsed.matches)) == ([], 1, 2)


def test_a_utf16_file_fails_to_parse_and_says_how_to_fix_it() -> None:
    content = csv_bytes(HEADER, ROW_A, encoding="utf-16")
    with pytest.raises(SourceParseError, match=r"UTF-16.*save it as UTF-8"):
        parse_football_data(content, source="wide.csv")


# ------------------------------------------------------------------------------------- whole-file errors


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b",,,\n,,,\n", "empty"),
        (b"Div,Date,Home,Away\nE0,12/08/2023,A,B\n", "no HomeTeam, AwayTeam column"),
        (b"Date,HomeTeam,AwayTeam,FTHG,FTAG,FTR\n12/08/2023,A,B,1,0,H\n", "cannot tell the division"),
        (b"Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,FTR\nE0,someday,A,B,1,0,H\n", "cannot tell the season"),
    ],
)
def test_unusable_files_raise_source_parse_error(content: bytes, message: str) -> None:
    with pytest.raises(SourceParseError, match=message):
        parse_football_data(content, source="bad.csv")


# ------------------------------------------------------------------------------------- row rejections


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("E0,31/02/2023,Leeds,Hull,1,0,H,0,0,D,,,", "unparseable date: '31/02/2023' is not dd/mm/yy or dd/mm/yyyy"),
        ("E0,2023-08-12,Leeds,Hull,1,0,H,0,0,D,,,", "unparseable date: '2023-08-12' is not dd/mm/yy or dd/mm/yyyy"),
        ("E0,,Leeds,Hull,1,0,H,0,0,D,,,", "missing date: Date is empty"),
        ("E0,12/08/2023,,Hull,1,0,H,0,0,D,,,", "missing team: HomeTeam empty"),
        ("E0,12/08/2023,Leeds,  ,1,0,H,0,0,D,,,", "missing team: AwayTeam empty"),
        ("E0,12/08/2023,Leeds,Leeds ,1,0,H,0,0,D,,,", "same team on both sides: 'Leeds'"),
        ("E0,12/08/2023,Leeds,Hull,x,0,H,0,0,D,,,", "invalid goals: FTHG is 'x', not a whole number >= 0"),
        ("E0,12/08/2023,Leeds,Hull,1,-1,H,0,0,D,,,", "invalid goals: FTAG is '-1', not a whole number >= 0"),
        ("E0,12/08/2023,Leeds,Hull,1.5,0,H,0,0,D,,,", "invalid goals: FTHG is '1.5', not a whole number >= 0"),
        ("E0,12/08/2023,Leeds,Hull,1,0,H,one,0,D,,,", "invalid goals: HTHG is 'one', not a whole number >= 0"),
        ("E0,12/08/2023,Leeds,Hull,1,1,H,0,0,D,,,", "FTR inconsistent with score: FTR is 'H' but score is 1-1"),
        ("E0,12/08/2023,Leeds,Hull,0,2,X,0,0,D,,,", "FTR inconsistent with score: FTR is 'X' but score is 0-2"),
        ("E0,12/08/2023,Leeds,Hull,1,,H,0,0,D,,,", "incomplete result: FTAG empty but FTHG '1', FTR 'H' given"),
        ("E0,12/08/2023,Leeds,Hull,,,H,0,0,D,,,", "incomplete result: FTHG, FTAG empty but FTR 'H' given"),
        ("E0,12/08/2023,Leeds,Hull,1,0,H,2,0,H,,,", "half-time goals exceed full-time: half-time 2-0, full-time 1-0"),
        ("E1,12/08/2023,Leeds,Hull,1,0,H,0,0,D,,,", "Div differs from the file's: row has 'E1', file is 'E0'"),
    ],
)
def test_each_row_rule_rejects_with_a_readable_reason_and_the_rest_loads(row: str, reason: str) -> None:
    parsed = parse(HEADER, ROW_A, row, ROW_B)
    assert [(r.line, r.reason, r.scope) for r in parsed.rejections] == [(3, reason, "row")]
    assert parsed.rows_rejected == 1
    assert list(parsed.matches["line"]) == [2, 4]
    assert len(parsed.odds) == 2  # the rejected row's prices are not loaded


def test_later_duplicate_of_a_match_is_rejected() -> None:
    parsed = parse(HEADER, ROW_A, ROW_B, ROW_A.replace(",2,1,H,", ",3,1,H,"))
    assert [str(r) for r in parsed.rejections] == [
        "test.csv:4: duplicate match: E0-20230812-arsenal-forest is already on line 2"
    ]
    assert match_of(parsed, "E0-20230812-arsenal-forest")["fthg"] == 2


def test_rows_of_another_division_are_rejected_when_the_div_column_decides() -> None:
    parsed = parse(HEADER, ROW_A, ROW_B, ROW_C.replace("E0,", "SC0,"))
    assert parsed.div == "E0"  # the most common Div
    assert [r.reason for r in parsed.rejections] == ["Div differs from the file's: row has 'SC0', file is 'E0'"]


def test_given_division_rejects_rows_that_say_otherwise() -> None:
    parsed = parse(HEADER, ROW_A, div="E1", season="2324")
    assert parsed.matches.empty and parsed.rows_rejected == 1


# ------------------------------------------------------------------------------------------- odds


WIDE_HEADER = (
    "Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,FTR,HTHG,HTAG,HTR,HS,AS,HST,AST,HF,AF,HC,AC,HY,AY,HR,AR,HO,AO,HBP,ABP,"
    "HHW,AHW,B365H,B365D,B365A,VCH,VCD,VCA,VCCH,VCCD,VCCA,PSH,PSD,PSA,PSCH,PSCD,PSCA,PH,PD,PA,BbAvH,BbAvD,BbAvA,"
    "BbMxH,BbMxD,BbMxA,AvgCH,AvgCD,AvgCA,MaxCH,MaxCD,MaxCA,1XBH,1XBD,1XBA,BFEH,BFED,BFEA,BFECH,BFECD,BFECA,"
    "BMGMH,BMGMD,BMGMA,XYZH,XYZD,XYZA,XYZCH,XYZCD,XYZCA,BbAHh,AHh,BbAH,B365AHH,B365AHA,GBAHH,GBAHA,GBAH,"
    "B365>2.5,B365<2.5,BbMx>2.5,Bb1X2,BbOU,HFKC,AFKC"
)


def test_odds_triples_are_read_from_the_header_generically() -> None:
    header = WIDE_HEADER.split(",")
    found = {(t.bookmaker, t.kind): t.columns[0][:-1] for t in odds_triples(header)}
    assert found == {
        ("B365", "pre"): "B365",
        ("VC", "pre"): "VC",
        ("VC", "close"): "VCC",
        ("PS", "pre"): "PS",  # the first of PS and P wins
        ("PS", "close"): "PSC",
        (MARKET_AVG, "pre"): "BbAv",
        (MARKET_MAX, "pre"): "BbMx",
        (MARKET_AVG, "close"): "AvgC",
        (MARKET_MAX, "close"): "MaxC",
        ("1XB", "pre"): "1XB",
        ("BFE", "pre"): "BFE",
        ("BFE", "close"): "BFEC",
        ("BMGM", "pre"): "BMGM",
        ("XYZ", "pre"): "XYZ",  # a bookmaker newer than the code's list
        ("XYZ", "close"): "XYZC",
    }


def test_older_pinnacle_columns_are_pinnacle_pre_match() -> None:
    parsed = parse(
        "Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,FTR,PH,PD,PA,AvgH,AvgD,AvgA",
        "E0,12/08/2023,A,B,1,0,H,2,3.6,4,1.9,3.4,3.8",
    )
    assert set(zip(parsed.odds["bookmaker"], parsed.odds["kind"], strict=True)) == {("PS", "pre"), (MARKET_AVG, "pre")}


ODDS_HEADER = "Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,FTR,B365H,B365D,B365A,MaxH,MaxD,MaxA,BFEH,BFED,BFEA"


@pytest.mark.parametrize(
    ("b365", "reason"),
    [
        ("2.1,x,3.5", "odds not a number: B365 pre: B365D is 'x'"),
        ("2.1,3.3,1.0", "odds price not above 1.0: B365 pre: B365A is '1.0'"),
        ("0,3.3,3.5", "odds price not above 1.0: B365 pre: B365H is '0'"),
        ("2.1,,3.5", "odds incomplete: B365 pre has B365D empty"),
        (",,3.5", "odds incomplete: B365 pre has B365H, B365D empty"),
        (
            "2.3,3.5,3.8",
            "odds overround out of range: B365 pre 2.3/3.5/3.8 sums to 0.984 in inverse, allowed 1.00 to 1.25",
        ),
        ("1.5,2.5,3", "odds overround out of range: B365 pre 1.5/2.5/3 sums to 1.400 in inverse, allowed 1.00 to 1.25"),
    ],
)
def test_each_odds_rule_rejects_the_prices_but_keeps_the_match(b365: str, reason: str) -> None:
    parsed = parse(ODDS_HEADER, f"E0,12/08/2023,A,B,1,0,H,{b365},2.2,3.4,3.6,2.2,3.4,3.6")
    assert [(r.line, r.reason, r.scope) for r in parsed.rejections] == [(2, reason, "odds")]
    assert parsed.rows_rejected == 0 and len(parsed.matches) == 1
    assert set(parsed.odds["bookmaker"]) == {MARKET_MAX, "BFE"}


def test_best_of_market_and_exchange_prices_may_sum_below_one() -> None:
    parsed = parse(ODDS_HEADER, "E0,12/08/2023,A,B,1,0,H,2,3.4,3.9,2.2,3.4,3.6,2.2,3.4,3.6")
    assert parsed.rejections == [] and set(parsed.odds["bookmaker"]) == {"B365", MARKET_MAX, "BFE"}
    too_low = parse(ODDS_HEADER, "E0,12/08/2023,A,B,1,0,H,2,3.4,3.9,2.6,4,4.5,2.2,3.4,3.6")
    assert [r.reason for r in too_low.rejections] == [
        "odds overround out of range: market_max pre 2.6/4/4.5 sums to 0.857 in inverse, allowed 0.90 to 1.25"
    ]


def test_fair_book_at_exactly_one_is_accepted() -> None:
    parsed = parse(ODDS_HEADER, "E0,12/08/2023,A,B,1,0,H,3,3,3,,,,,,")
    assert parsed.rejections == [] and prices(parsed, "E0-20230812-a-b", "B365", "pre") == (3.0, 3.0, 3.0)


def test_triples_with_no_price_are_skipped_silently() -> None:
    parsed = parse(ODDS_HEADER, "E0,12/08/2023,A,B,1,0,H,,,,, ,,,,")
    assert parsed.rejections == [] and parsed.odds.empty
    assert tuple(parsed.odds.columns) == ODDS_COLUMNS
