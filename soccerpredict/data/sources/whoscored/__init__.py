"""WhoScored: match-centre pages and season fixtures feeds, parsed into the football-data tables.

Pure (page text in, :class:`ParsedFile` out; no browser, network, files or database):
:func:`extract_match_centre` finds the ``matchCentreData`` object a match-centre page embeds in an inline
script, :func:`parse_match_centre` reads teams, score, team statistics and events from it, :func:`parse_page`
turns a page (or a fixtures feed) into parsed files keyed like football-data's: the same division codes
(:data:`WHOSCORED_TOURNAMENTS`), season codes, canonical team names (:data:`WHOSCORED_TEAM_ALIASES` on top of
the shipped map) and match ids. :func:`merge_with_existing` decides what a parsed file becomes over the rows
already stored: football-data.co.uk stays the reference, so a match it already finished keeps its values,
WhoScored only fills what is missing (and disagreements are reported), and scraping a match never changes a
football-data row.

- :mod:`.names`: tournaments to divisions, WhoScored's team spellings, seasons and match ids;
- :mod:`.centre`: the ``matchCentreData`` object of a match-centre page, found and read;
- :mod:`.parse`: a page or a fixtures feed to parsed files (:func:`parse_page`);
- :mod:`.merge`: a parsed file over the rows already stored (:func:`merge_with_existing`).

The edges are elsewhere: :mod:`soccerpredict.data.sources.browser` loads pages in Chromium,
:mod:`soccerpredict.data.whoscored_ingest` reads, parses and loads them with the repository.
"""

from __future__ import annotations

from soccerpredict.data.sources.whoscored.centre import (
    MATCH_CENTRE_KEY,
    MatchCentre,
    MatchEvent,
    TeamSheet,
    extract_match_centre,
    parse_match_centre,
)
from soccerpredict.data.sources.whoscored.merge import merge_with_existing
from soccerpredict.data.sources.whoscored.names import (
    WHOSCORED_TEAM_ALIASES,
    WHOSCORED_TOURNAMENTS,
    division_of,
    whoscored_team_names,
)
from soccerpredict.data.sources.whoscored.parse import (
    READY_MARKERS,
    PageKind,
    ParsedPage,
    match_centre_file,
    parse_fixtures_feed,
    parse_page,
)

__all__ = [
    "MATCH_CENTRE_KEY",
    "READY_MARKERS",
    "WHOSCORED_TEAM_ALIASES",
    "WHOSCORED_TOURNAMENTS",
    "MatchCentre",
    "MatchEvent",
    "PageKind",
    "ParsedPage",
    "TeamSheet",
    "division_of",
    "extract_match_centre",
    "match_centre_file",
    "merge_with_existing",
    "parse_fixtures_feed",
    "parse_match_centre",
    "parse_page",
    "whoscored_team_names",
]
