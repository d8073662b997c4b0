"""Registry and publishing stages: register (@smoke), promote (@candidate, @champion), batch inference, cards."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd

from components.modelling import load_xy
from soccerpredict.artifacts import (
    ALIAS_CANDIDATE,
    ALIAS_CHAMPION,
    BACKTEST_ARTIFACT,
    BACKTEST_PLOTS_ARTIFACT,
    CARD_ARTIFACT,
    CARDS_KEY,
    EVALUATION_ARTIFACT,
    MATCH_FEATURES_KEY,
    MODEL_EVALUATION_KEY,
    MODEL_NAME,
    PREDICTIONS_KEY,
    PROBABILITY_COLUMNS,
)
from soccerpredict.data.columns import IDENTITY_COLUMNS, ODDS_PRE_AVG
from soccerpredict.models.report import (
    MAX_BACKTEST_PLOT_BYTES,
    MAX_CARD_BYTES,
    MAX_PLOT_BYTES,
    BacktestPlot,
    BacktestReport,
    EvaluationReport,
    ModelEvaluation,
    PublishedBacktest,
    Scores,
)
from soccerpredict.params import EvaluateParams, PublishParams
from soccerpredict.settings import Settings

__all__ = ["batch_inference", "build_cards", "champion_evaluation", "promote_model", "register_model"]

#: What a published prediction carries besides its probabilities: the match, its result when known, the market.
_PREDICTION_COLUMNS = (*IDENTITY_COLUMNS, "ftr", *ODDS_PRE_AVG)


def _use_registry(settings: Settings) -> None:
    """Point MLflow at the settings' tracking server (its SQLite file's folder made first)."""
    from soccerpredict.registry.mlflow_log import use_tracking

    settings.home_dir.mkdir(parents=True, exist_ok=True)
    use_tracking(settings.tracking_uri)


def register_model(
    *,
    model: Path,
    train: Path,
    feature_list: Path,
    evaluation: Path,
    card: Path,
    backtest_report: Path,
    backtest_plots: Path,
    registration: Path,
    settings: Settings,
) -> dict[str, Any]:
    """Log the run (params, metrics, data fingerprint, commit, card, backtest) and register the model as @smoke."""
    from soccerpredict.registry.mlflow_log import git_commit, log_and_register

    _use_registry(settings)
    report = EvaluationReport.read(evaluation)
    features = json.loads(feature_list.read_text())
    _, X, _ = load_xy(train, feature_list)
    metrics = {f"test_{k}": v for k, v in _numbers(report.model_scores).items()}
    market = report.metrics.get(report.benchmark_key)
    if market is not None:
        metrics.update({f"market_{k}": v for k, v in _numbers(market).items() if k in ("rps", "log_loss")})
    registered = log_and_register(
        joblib.load(model),
        example=X.head(50).astype("float32").astype("float64"),
        params={"model": report.model_name, "track": features["track"], **report.params},
        metrics=metrics,
        tags={
            "git_commit": git_commit(),
            "data_fingerprint": _fingerprint(train),
            "track": features["track"],
            "quality_gate": str(report.quality_gate.passed),
        },
        artifacts={
            CARD_ARTIFACT: card,
            EVALUATION_ARTIFACT: evaluation,
            BACKTEST_ARTIFACT: backtest_report,
            BACKTEST_PLOTS_ARTIFACT: backtest_plots,
            "features": feature_list,
        },
    )
    registration.write_text(json.dumps(registered.to_dict(), indent=2))
    return registered.to_dict()


def _numbers(scores: Scores) -> dict[str, float]:
    """The scores that were computed (a metric the report lacks is not logged as a number)."""
    return {
        k: v
        for k, v in scores.model_dump(exclude_none=True).items()
        if isinstance(v, (int, float)) and not isinstance(v, bool)
    }


def _fingerprint(path: Path) -> str:
    """The MD5 DVC records for a file: the dataset's identity in the run log."""
    import hashlib

    return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()


def _champion_rps(test: Path, feature_list: Path, labels: np.ndarray) -> tuple[np.ndarray | None, str | None, str]:
    """Per-match RPS of the current champion on the same test rows, or why it cannot be scored."""
    import mlflow

    from soccerpredict.models.metrics import per_row_rps
    from soccerpredict.registry.promotion import alias_version

    version = alias_version(ALIAS_CHAMPION)
    if version is None:
        return None, None, "no champion yet"
    champion = mlflow.sklearn.load_model(f"models:/{MODEL_NAME}/{version}")
    columns = list(mlflow.models.get_model_info(f"models:/{MODEL_NAME}/{version}").signature.inputs.input_names())
    frame = pd.read_parquet(test).sort_values(["date", "match_id"], kind="stable")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        return None, version, f"champion v{version} needs features this run lacks: {missing[:5]}"
    return per_row_rps(champion.predict_proba(frame[columns].astype("float64")), labels), version, ""


def promote_model(
    *,
    registration: Path,
    evaluation: Path,
    test_predictions: Path,
    test: Path,
    feature_list: Path,
    promotion: Path,
    evaluate: EvaluateParams,
    settings: Settings,
) -> dict[str, Any]:
    """@candidate when the quality gate passed; @champion when it also beats the champion on the same matches."""
    from soccerpredict.models.metrics import per_row_rps
    from soccerpredict.registry.promotion import ChampionDecision, decide_champion, set_alias

    _use_registry(settings)
    version = json.loads(registration.read_text())["version"]
    gate = EvaluationReport.read(evaluation).quality_gate
    outcome: dict[str, Any] = {
        "version": version,
        "quality_gate": gate.model_dump(exclude_unset=True),
        "candidate": False,
        "champion": False,
    }
    if gate.passed:
        set_alias(ALIAS_CANDIDATE, version)
        outcome["candidate"] = True
        preds = pd.read_parquet(test_predictions)
        labels = preds["y"].to_numpy(dtype=int)
        mine = per_row_rps(preds[["p_home", "p_draw", "p_away"]].to_numpy(), labels)
        theirs, previous, why = _champion_rps(test, feature_list, labels)
        decision = (
            decide_champion(mine, theirs, n_boot=evaluate.n_bootstrap, seed=evaluate.seed)
            if theirs is not None or previous is None
            else ChampionDecision(False, why)
        )
        if decision.promote:
            set_alias(ALIAS_CHAMPION, version)
        outcome.update({"champion": decision.promote, "previous_champion": previous, "decision": decision.to_dict()})
    else:
        outcome["decision"] = {"promote": False, "reason": f"quality gate failed: {gate.beats}"}
    promotion.write_text(json.dumps(outcome, indent=2, default=float))
    return {"version": version, "candidate": outcome["candidate"], "champion": outcome["champion"]}


def batch_inference(
    *,
    feature_table: Path,
    feature_list: Path,
    predictions: Path,
    match_features: Path,
    publish: PublishParams,
    settings: Settings,
) -> dict[str, Any]:
    """Score upcoming and recent matches with the champion; publish predictions, the features snapshot and the
    champion's evaluation (its run's report, card, reliability plot and backtest: :func:`champion_evaluation`)."""
    import mlflow

    from components.stage import console
    from soccerpredict.data.store import ObjectStore
    from soccerpredict.registry.promotion import alias_version

    _use_registry(settings)
    version = alias_version(ALIAS_CHAMPION)
    if version is None:
        # Not an error: a first model that fails the quality gate leaves no champion, and nothing is published.
        console.print("[yellow]no champion in the registry: nothing published[/] (see registry/promotion.json)")
        pd.DataFrame(
            columns=[*_PREDICTION_COLUMNS, *PROBABILITY_COLUMNS, "model_version", "features_as_of"]
        ).to_parquet(predictions, index=False)
        pd.DataFrame(columns=["match_id"]).to_parquet(match_features, index=False)
        return {"predictions": 0, "model_version": None}
    uri = f"models:/{MODEL_NAME}/{version}"
    columns = list(mlflow.models.get_model_info(uri).signature.inputs.input_names())
    frame, _, _ = load_xy(feature_table, feature_list)
    latest = frame["date"].max()
    recent = frame["date"] >= latest - pd.Timedelta(days=publish.recent_days)
    scope = frame[(frame["status"] == "scheduled") | recent].reset_index(drop=True)
    probs = mlflow.sklearn.load_model(uri).predict_proba(scope[columns].astype("float64"))
    out = scope[list(_PREDICTION_COLUMNS)].copy()
    out[list(PROBABILITY_COLUMNS)] = probs
    out["model_version"] = version
    out["features_as_of"] = datetime.now(UTC).isoformat(timespec="seconds")
    out.to_parquet(predictions, index=False)
    snapshot = frame[["match_id", "div", "date", "home_team", "away_team", "status", *columns]]
    snapshot.to_parquet(match_features, index=False)
    store = ObjectStore.from_settings(settings)
    store.write_bytes(MATCH_FEATURES_KEY, match_features.read_bytes())
    store.write_bytes(PREDICTIONS_KEY, predictions.read_bytes())
    published = _publish_evaluation(store, version)
    return {
        "predictions": len(out),
        "model_version": version,
        "store": store.url(PREDICTIONS_KEY),
        "evaluation": store.url(MODEL_EVALUATION_KEY) if published else None,
    }


def _publish_evaluation(store: Any, version: str) -> bool:
    """Publish the champion run's evaluation report, card, reliability plot and backtest; whether it was published.

    A champion whose run logged no readable report is said so, and the copy users read stays as it was.
    """
    from components.stage import console

    try:
        payload = champion_evaluation(version, _run_artifact(version))
    except Exception as exc:  # the predictions are out; a missing report must not fail the stage
        console.print(f"[yellow]champion v{version}: evaluation not published[/]: {type(exc).__name__}: {exc}")
        return False
    if payload is None:
        console.print(f"[yellow]champion v{version} logged no evaluation report: evaluation not published[/]")
        return False
    store.write_bytes(MODEL_EVALUATION_KEY, payload.to_json().encode())
    return True


def _run_artifact(version: str) -> Any:
    """A function downloading one artifact folder of the version's run (None when the run lacks it)."""
    import mlflow

    run_id = mlflow.MlflowClient().get_model_version(MODEL_NAME, version).run_id

    def download(name: str) -> Path | None:
        try:
            return Path(mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=name))
        except Exception:  # MLflow raises its own and the store's errors for an absent artifact
            return None

    return download


def champion_evaluation(version: str, download: Any, *, now: datetime | None = None) -> ModelEvaluation | None:
    """The published evaluation of champion ``version`` from its run's artifacts; None when it has no report.

    ``download(name)`` gives the local folder of a run artifact, or None. The card and its reliability plot
    are carried when they are small (:data:`MAX_CARD_BYTES`, :data:`MAX_PLOT_BYTES`), and the backtest when the
    run logged one (:func:`_backtest`).
    """
    import base64

    from soccerpredict.models.card import CARD_NAME, RELIABILITY_PNG

    folder = download(EVALUATION_ARTIFACT)
    report = EvaluationReport.find(folder) if folder is not None else None
    if report is None:
        return None
    cards = download(CARD_ARTIFACT)
    card = _small(cards / CARD_NAME, MAX_CARD_BYTES) if cards is not None else None
    plot = _small(cards / RELIABILITY_PNG, MAX_PLOT_BYTES) if cards is not None else None
    return ModelEvaluation(
        model=MODEL_NAME,
        version=version,
        published_at=(now or datetime.now(UTC)).isoformat(timespec="seconds"),
        evaluation=report,
        card=card.decode("utf-8", errors="replace") if card is not None else None,
        reliability_png=base64.b64encode(plot).decode("ascii") if plot is not None else None,
        backtest=_backtest(download),
    )


def _backtest(download: Any) -> PublishedBacktest | None:
    """The run's backtest report with its plots of at most :data:`MAX_BACKTEST_PLOT_BYTES` (larger ones named
    in ``omitted``); None when the run logged no backtest report (runs registered before it was logged)."""
    import base64

    from soccerpredict.models.plots import plot_title

    folder = download(BACKTEST_ARTIFACT)
    report = BacktestReport.find(folder) if folder is not None else None
    if report is None:
        return None
    plots_folder = download(BACKTEST_PLOTS_ARTIFACT)
    files = sorted(plots_folder.rglob("*.png")) if plots_folder is not None else []
    plots, omitted = [], []
    for file in files:
        png = _small(file, MAX_BACKTEST_PLOT_BYTES)
        if png is None:
            omitted.append(file.name)
            continue
        plots.append(BacktestPlot(name=file.name, title=plot_title(file.stem), png=base64.b64encode(png).decode()))
    return PublishedBacktest(report=report, plots=plots, omitted=omitted)


def _small(path: Path, limit: int) -> bytes | None:
    return path.read_bytes() if path.is_file() and path.stat().st_size <= limit else None


def build_cards(*, predictions: Path, cards: Path, settings: Settings) -> dict[str, Any]:
    """One card per prediction: teams, kick-off, probabilities and, where odds exist, the market's view."""
    from soccerpredict.data.store import ObjectStore
    from soccerpredict.features.devig import multiplicative_probs

    # No MLflow here: the model version is already a column of the predictions.
    frame = pd.read_parquet(predictions)
    odds = frame[["odds_pre_avg_home", "odds_pre_avg_draw", "odds_pre_avg_away"]].to_numpy(dtype=float)
    market = np.atleast_2d(multiplicative_probs(odds)) if len(frame) else np.empty((0, 3))
    items = [_card(row, market[i]) for i, row in enumerate(frame.itertuples(index=False))]
    cards.write_text(json.dumps(items, indent=2, default=str))
    if items:  # an empty run (no champion) must not replace the cards users are reading
        ObjectStore.from_settings(settings).write_bytes(CARDS_KEY, cards.read_bytes())
    return {"cards": len(items)}


def _card(row: Any, market: np.ndarray) -> dict[str, Any]:
    model = {
        "home": round(float(row.p_home), 4),
        "draw": round(float(row.p_draw), 4),
        "away": round(float(row.p_away), 4),
    }
    card: dict[str, Any] = {
        "match_id": row.match_id,
        "division": row.div,
        "date": str(pd.Timestamp(row.date).date()),
        "kickoff_time": row.kickoff_time,
        "home_team": row.home_team,
        "away_team": row.away_team,
        "status": row.status,
        "result": row.ftr,
        "model": model,
        "model_version": row.model_version,
        "pick": max(model, key=lambda k: model[k]),
    }
    if np.isfinite(market).all():
        card["market"] = {k: round(float(v), 4) for k, v in zip(("home", "draw", "away"), market, strict=True)}
        card["edge"] = {k: round(model[k] - card["market"][k], 4) for k in model}
    return card
