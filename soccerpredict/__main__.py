"""``python -m soccerpredict`` runs the CLI."""

from soccerpredict.cli import main

main()
