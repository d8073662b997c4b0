"""`soccerpredict predict` and `soccerpredict cards`: the served predictions at a terminal, through the facade as the
web UI reads them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from soccerpredict.cli.context import load_settings
from soccerpredict.cli.options import JsonOutput
from soccerpredict.cli.output import console, emit, err_console, fail

if TYPE_CHECKING:  # the client imports httpx: only these two commands load it
    from serving.ui.client import FacadeClient
    from serving.ui.errors import UiError

__all__ = ["cards", "predict"]

ApiUrl = Annotated[
    str | None, typer.Option("--api-url", help="The facade's URL (default: SOCCER_UI_API_URL).", show_default=False)
]
ApiKey = Annotated[
    str | None,
    typer.Option("--api-key", help="An API key of the facade (default: SOCCER_UI_API_KEY).", show_default=False),
]


def _facade(api_url: str | None, api_key: str | None) -> FacadeClient:
    from serving.ui.client import FacadeClient

    return FacadeClient.from_settings(load_settings(), base_url=api_url, api_key=api_key or None)


def _facade_error(error: UiError, api_url: str, what: str) -> str:
    """What went wrong talking to the facade, and what to do: the web UI's explanation, worded for a terminal."""
    from serving.ui.errors import TERMINAL, explain

    return str(explain(error, api_url=api_url, what=what, audience=TERMINAL))


def predict(
    match_ids: Annotated[list[str], typer.Argument(help="Match ids (as in `soccerpredict cards`).")],
    api_url: ApiUrl = None,
    api_key: ApiKey = None,
    json_output: JsonOutput = False,
) -> None:
    """The served model's home/draw/away probabilities of each match, through the facade's GET /predict/{id}.

    Exits with 1 when any match could not be predicted (each failure is reported; the others are printed).
    """
    from serving.ui.errors import UiError

    predictions: list[dict[str, Any]] = []
    errors: list[dict[str, str]] = []
    with _facade(api_url, api_key) as client:
        for match_id in match_ids:
            try:
                predictions.append(client.predict(match_id).model_dump())
            except UiError as exc:
                errors.append(
                    {"match_id": match_id, "error": _facade_error(exc, client.base_url, "this match's prediction")}
                )
        base_url = client.base_url

    def show() -> None:
        if predictions:
            table = Table(title=f"predictions from {base_url}")
            for column in ("match", "home", "draw", "away", "model version", "source"):
                table.add_column(column, justify="right" if column in ("home", "draw", "away") else "left")
            for p in predictions:
                table.add_row(
                    p["match_id"],
                    *(f"{100 * p[k]:.1f}%" for k in ("p_home", "p_draw", "p_away")),
                    p["model_version"],
                    p["source"],
                )
            console.print(table)

    emit(json_output, {"predictions": predictions, "errors": errors}, show)
    for error in errors:
        err_console.print(f"[bold red]error:[/] {escape(error['match_id'])}: {escape(error['error'])}", highlight=False)
    if errors:
        raise typer.Exit(code=1)


def cards(
    division: Annotated[
        list[str] | None, typer.Option("--division", help="Only these divisions (repeat the option); default all.")
    ] = None,
    on: Annotated[
        datetime | None, typer.Option("--date", formats=["%Y-%m-%d"], help="Only matches on this day.")
    ] = None,
    date_from: Annotated[
        datetime | None, typer.Option("--from", formats=["%Y-%m-%d"], help="Only matches on or after this day.")
    ] = None,
    date_to: Annotated[
        datetime | None, typer.Option("--to", formats=["%Y-%m-%d"], help="Only matches on or before this day.")
    ] = None,
    api_url: ApiUrl = None,
    api_key: ApiKey = None,
    json_output: JsonOutput = False,
) -> None:
    """The published prediction cards (the web UI's Matches page): model and market probabilities per match."""
    from serving.ui.errors import UiError
    from serving.ui.views import card_rows, filter_rows

    start, end = on or date_from, on or date_to
    first, last = (start.date() if start else None), (end.date() if end else None)
    with _facade(api_url, api_key) as client:
        base_url = client.base_url
        try:
            published = [card.model_dump(mode="json") for card in client.cards()]
        except UiError as exc:
            raise fail(_facade_error(exc, client.base_url, "the prediction cards")) from exc
    rows = filter_rows(card_rows(published), divisions=division or None, date_from=first, date_to=last)
    by_id = {card.get("match_id"): card for card in published}
    selected = [by_id[row.match_id] for row in rows]  # the table's order: kick-off, then match id

    def show() -> None:
        if not rows:
            err_console.print(f"no cards match (published: {len(published)})")
            return
        out = Table(title=f"{len(rows)} of {len(published)} cards from {base_url}")
        for column in ("kick-off", "div", "match (id)", "model H/D/A%", "market H/D/A%"):
            out.add_column(column, no_wrap=column != "match (id)", overflow="fold")
        for row in rows:
            kickoff = " ".join(x for x in (row.date.isoformat() if row.date else None, row.kickoff_time) if x)
            triples = [" / ".join(f"{100 * p:.0f}" for p in t) if t else "—" for t in (row.model, row.market)]
            match = f"{escape(row.home_team)} – {escape(row.away_team)}\n[dim]{escape(row.match_id)}[/]"
            out.add_row(kickoff or "—", row.division or "—", match, *triples)
        console.print(out)

    emit(json_output, selected, show)
