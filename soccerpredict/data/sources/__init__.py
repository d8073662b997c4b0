"""Readers of match data sources, pure where they can be, the network at the edges.

- :mod:`~soccerpredict.data.sources.football_data`: football-data.co.uk CSV files (discovery, download, parsing).
- :mod:`~soccerpredict.data.sources.whoscored`: WhoScored match-centre pages and fixtures feeds (pure parsing).
- :mod:`~soccerpredict.data.sources.odds`: pre-match odds of upcoming fixtures, pluggable by name.
- :mod:`~soccerpredict.data.sources.browser`: the polite headless-Chromium page fetcher (local or Selenium grid).
"""
