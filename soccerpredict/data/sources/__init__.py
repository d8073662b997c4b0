"""Readers of match data sources: football-data.co.uk CSV files (discovery, download, parsing)."""
