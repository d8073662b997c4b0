"""The Streamlit web UI: Matches, Match, Model, Drift and Status pages over the facade.

Streamlit runs this file as a script (``python -m serving.ui`` starts it); it calls :func:`main`. Every page reads
the facade through :class:`~serving.ui.client.FacadeClient`, in this server process: the API key stays here, the
browser only receives the rendered page. Every failure is shown as a message saying what to do, never a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import Final, TypeVar

import streamlit as st
from pydantic import ValidationError

from serving.ui.client import FacadeClient
from serving.ui.errors import PAGE, UiError, explain
from serving.ui.views import (
    BACKTEST_EXPLAINED,
    OUTCOMES,
    CardRow,
    backtest_images,
    backtest_rows,
    backtest_summary,
    card_markdown,
    card_row,
    card_rows,
    date_bounds,
    divisions,
    drift_history_rows,
    drift_rows,
    evaluation_rows,
    evaluation_summary,
    filter_rows,
    match_facts,
    percent,
    readiness_rows,
    reliability_png,
    table,
)
from soccerpredict.models.report import MAX_BACKTEST_PLOT_BYTES, ModelEvaluation
from soccerpredict.settings import Settings

__all__ = ["PAGES", "main"]

log = logging.getLogger(__name__)

T = TypeVar("T")
#: Key of the Matches table, whose state is the selected row.
_TABLE: Final = "table"
Page = Callable[[FacadeClient], None]


def _fetch(client: FacadeClient, what: str, call: Callable[[], T]) -> T | None:
    """``call()``, or None after showing why ``what`` cannot be shown."""
    try:
        return call()
    except UiError as exc:
        log.warning("cannot show %s: %s", what, exc)
        st.error(str(explain(exc, api_url=client.base_url, what=what, audience=PAGE)))
        return None


def matches_page(client: FacadeClient) -> None:
    """The published prediction cards, filtered by division and date."""
    st.header("Matches")
    cards = _fetch(client, "the prediction cards", client.cards)
    if cards is None:
        return
    rows = card_rows(card.model_dump() for card in cards)
    if not rows:
        st.info("No fixtures: the published cards hold no upcoming match. They appear after the next pipeline run.")
        return
    chosen = st.multiselect(
        "Division", divisions(rows), key="divisions", placeholder="All divisions", on_change=_forget_selection
    )
    date_from, date_to = _date_range(rows)
    shown = filter_rows(rows, divisions=chosen, date_from=date_from, date_to=date_to)
    st.caption(f"{len(shown)} of {len(rows)} matches. Model and market probabilities; the last column names the "
               "outcome where they differ most.")  # fmt: skip
    if not shown:
        st.info("No match in this division and date range: widen the filters.")
        return
    event = st.dataframe(table(shown), hide_index=True, on_select="rerun", selection_mode="single-row", key=_TABLE)
    selected = event.selection.rows
    if selected and selected[0] < len(shown):
        row = shown[selected[0]]
        st.subheader(f"{row.home_team} – {row.away_team}")
        _show_match(client, row.match_id, row)
    else:
        st.caption("Select a row to see the match (or open the Match page).")


def _forget_selection() -> None:
    # A selection is a row index into the filtered table: new filters would make it name another match.
    st.session_state.pop(_TABLE, None)


def _date_range(rows: list[CardRow]) -> tuple[date | None, date | None]:
    bounds = date_bounds(rows)
    if bounds is None:
        return None, None
    picked = st.date_input(
        "Dates", value=bounds, min_value=bounds[0], max_value=bounds[1], key="dates", on_change=_forget_selection
    )
    if isinstance(picked, tuple):  # a range; one end only while the user is choosing the other
        return (picked[0] if picked else None), (picked[1] if len(picked) > 1 else None)
    return picked, picked


def match_page(client: FacadeClient) -> None:
    """One match: the model's probabilities beside the market's, the model version, when features were computed."""
    st.header("Match")
    predictions = _fetch(client, "the published predictions", client.predictions)
    if predictions is None:
        return
    if not predictions:
        st.info("No fixtures: nothing to predict in the published predictions. Run the pipeline for new ones.")
        return
    labels = {p.match_id: f"{p.date or '?'}  {p.home_team or '?'} – {p.away_team or '?'}" for p in predictions}
    ids = list(labels)
    wanted = st.query_params.get("match")
    index = ids.index(wanted) if wanted in labels else 0
    match_id = st.selectbox("Match", ids, index=index, format_func=labels.__getitem__, key="match")
    st.query_params["match"] = match_id
    _show_match(client, match_id, _card_of(client, match_id))


def _show_match(client: FacadeClient, match_id: str, card: CardRow | None) -> None:
    prediction = _fetch(client, "this match", lambda: client.precomputed(match_id))
    if prediction is None:
        return
    model = (prediction.p_home, prediction.p_draw, prediction.p_away)
    market = card.market if card is not None else None
    columns = st.columns(3)
    for column, outcome, p, i in zip(columns, OUTCOMES, model, range(3), strict=True):
        delta = None if market is None else f"{100 * (p - market[i]):+.1f} pts vs market {percent(market[i])}"
        column.metric(f"Model: {outcome}", percent(p), delta=delta, delta_color="off")
    if market is None:
        st.caption("No market odds for this match: only the model's probabilities.")
    st.table({label: [value] for label, value in match_facts(prediction.model_dump(mode="json"), card)})


def _card_of(client: FacadeClient, match_id: str) -> CardRow | None:
    try:
        cards = client.cards()
    except UiError:  # the market's view is extra: the prediction alone is still worth showing
        return None
    found = (card_row(c.model_dump()) for c in cards if c.match_id == match_id)
    return next(found, None)


def model_page(client: FacadeClient) -> None:
    """The model the predictor serves, as the facade describes it."""
    st.header("Model")
    info = _fetch(client, "the served model", client.model)
    if info is None:
        return
    first = st.columns(3)
    first[0].metric("Model", info.name)
    first[1].metric("Version", info.version or "—")
    first[2].metric("Alias", info.alias or "—")
    st.write(f"Platform: `{info.platform or '—'}`")
    tensors = [{"Kind": kind, **t.model_dump()} for kind, ts in (("input", info.inputs), ("output", info.outputs))
               for t in ts]  # fmt: skip
    if tensors:
        st.subheader("v2 tensors")
        st.dataframe(tensors, hide_index=True)
    published = _evaluation_section(client, info.version)
    if published is not None:
        _backtest_section(published)


def _evaluation_section(client: FacadeClient, served: str | None) -> ModelEvaluation | None:
    """The champion's scores against the baselines and the market, its reliability plot and its card."""
    st.subheader("Evaluation on the test split")
    published = _fetch(client, "the champion's evaluation metrics", client.model_evaluation)
    if published is None:
        return None
    if served is not None and published.version != served:
        st.warning(f"This evaluation is of version {published.version}, published {published.published_at}; the "
                   f"predictor serves version {served}. It is refreshed when batch inference next runs.")  # fmt: skip
    report = published.evaluation
    st.write(evaluation_summary(report))
    st.dataframe(evaluation_rows(report), hide_index=True)
    st.caption(f"Evaluation of version {published.version}, written {report.created}, published "
               f"{published.published_at}.")  # fmt: skip
    plot = reliability_png(published.reliability_png)
    if plot is not None:
        st.image(  # PNG, as published: JPEG (Streamlit's default for an opaque image) blurs a line plot
            plot,
            caption="Reliability: forecast probability against observed frequency, model and market.",
            output_format="PNG",
        )
    card = card_markdown(published.card)
    if card is not None:
        with st.expander("Model card"):
            st.markdown(card)
    return published


def _backtest_section(published: ModelEvaluation) -> None:
    """The champion run's walk-forward backtest: model against market per test season, and its plots."""
    st.subheader("Backtest")
    backtest = published.backtest
    if backtest is None:
        st.info(f"The run of version {published.version} logged no backtest. {BACKTEST_EXPLAINED} It is shown here "
                "once a model registered with its backtest is champion and batch inference has run.")  # fmt: skip
        return
    st.write(backtest_summary(backtest.report))
    st.dataframe(backtest_rows(backtest.report), hide_index=True)
    st.caption("Model − market: the model's mean RPS minus the market's on the matches the market priced (below 0: "
               "the model is better), with its 95% bootstrap interval.")  # fmt: skip
    for title, png in backtest_images(backtest):
        st.image(png, caption=title, output_format="PNG")  # PNG: JPEG blurs a line plot
    if backtest.omitted:
        st.caption(f"Left out as larger than {MAX_BACKTEST_PLOT_BYTES // 1024} KiB: {', '.join(backtest.omitted)}.")


def _drift_history(client: FacadeClient) -> None:
    """The drifted share of every monitor_drift run: a line over time, or a one-row table for a single run."""
    history = _fetch(client, "the drift history", client.drift_history)
    if history is None:
        return
    rows = drift_history_rows(entry.model_dump() for entry in history.entries)
    st.subheader("Drifted share over time")
    if not rows:
        st.info("The drift history is empty: each monitor_drift run adds one point.")
        return
    first, last = rows[0]["Computed at"], rows[-1]["Computed at"]
    st.caption(f"{len(rows)} monitor_drift runs, {first:%Y-%m-%d} to {last:%Y-%m-%d}; share of the checked features "
               "that drifted (0 to 1).")  # fmt: skip
    if len(rows) == 1:
        st.dataframe(rows, hide_index=True)
    else:
        st.line_chart(rows, x="Computed at", y="Drifted share")


def drift_page(client: FacadeClient) -> None:
    """The drifted share over time, the latest drift summary and, on request, the Evidently report."""
    st.header("Drift")
    # The history goes above the summary but is fetched after it: a facade that is down or refuses the key shows one
    # message, the summary's.
    history = st.container()
    summary = _fetch(client, "the drift summary", client.drift)
    if summary is None:
        return
    with history:
        _drift_history(client)
    st.subheader("Latest run")
    data = summary.model_dump()
    share, drifted = data.get("drifted_share"), data.get("drifted_features") or []
    columns = st.columns(3)
    columns[0].metric("Drifted share", percent(share) if isinstance(share, int | float) else "—")
    columns[1].metric("Reference rows", str(data.get("reference_rows", "—")))
    columns[2].metric("Current rows", str(data.get("current_rows", "—")))
    if data.get("current_from") or data.get("current_to"):
        st.write(f"Current window: {data.get('current_from', '?')} to {data.get('current_to', '?')}")
    st.write("Drifted features: " + (", ".join(f"`{f}`" for f in drifted) if drifted else "none"))
    rows = drift_rows(data)
    if rows:
        st.dataframe(rows, hide_index=True)
    if st.checkbox("Show the Evidently report", key="drift_report"):
        report = _fetch(client, "the Evidently report", client.drift_report)
        if report is not None:
            import streamlit.components.v1 as components

            components.html(report, height=900, scrolling=True)


def status_page(client: FacadeClient) -> None:
    """Whether the facade, the predictor, the cache and the published predictions are ready."""
    st.header("Status")
    ready = _fetch(client, "the facade's readiness", client.ready)
    if ready is None:
        return
    if ready.status == "ready":
        st.success(f"The facade at {client.base_url} is ready.")
    else:
        st.warning(f"The facade at {client.base_url} answers but is not ready: {ready.detail}.")
    st.dataframe(readiness_rows(ready.checks), hide_index=True)
    info = _fetch(client, "the served model", client.model)
    if info is not None:
        st.write(f"Model served: `{info.name}` version `{info.version}`" + (f" (@{info.alias})" if info.alias else ""))


PAGES: Final[dict[str, Page]] = {
    "Matches": matches_page,
    "Match": match_page,
    "Model": model_page,
    "Drift": drift_page,
    "Status": status_page,
}


def main(settings: Settings | None = None) -> None:
    """Render the page chosen in the sidebar (or by ``?page=`` in the URL)."""
    st.set_page_config(page_title="SoccerPredict", page_icon="⚽", layout="wide")
    if settings is None:
        try:
            settings = Settings()
        except ValidationError as exc:  # a malformed SOCCER_* variable: say which, not a traceback
            wrong = ", ".join(f"SOCCER_{'_'.join(map(str, e['loc'])).upper()}" for e in exc.errors())
            st.error(f"The web UI's settings are malformed ({wrong}): fix the environment and restart the UI.")
            return
    names = list(PAGES)
    wanted = st.query_params.get("page")
    st.sidebar.title("SoccerPredict")
    page = st.sidebar.radio("Page", names, index=names.index(wanted) if wanted in PAGES else 0, key="page")
    st.query_params["page"] = page
    st.sidebar.caption(f"Facade: {settings.ui_api_url}")
    with FacadeClient.from_settings(settings) as client:
        try:
            PAGES[page](client)
        except Exception:  # a bug here must not show a traceback (it could show internals) in the browser
            log.exception("page %s failed", page)
            st.error(f"The {page} page failed unexpectedly. See the web UI's log; the facade may have changed.")


if __name__ == "__main__":
    main()
