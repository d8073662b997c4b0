"""Names shared across layers: object-store keys, the registered model, its aliases.

The pipeline writes these, the serving layer and the DAGs read them: one home for each name.
"""

from __future__ import annotations

from typing import Final

#: MLflow registered model and its aliases, in promotion order.
MODEL_NAME: Final = "soccer-1x2"
ALIAS_SMOKE: Final = "smoke"
ALIAS_CANDIDATE: Final = "candidate"
ALIAS_CHAMPION: Final = "champion"
ALIASES: Final = (ALIAS_SMOKE, ALIAS_CANDIDATE, ALIAS_CHAMPION)
CHAMPION_URI: Final = f"models:/{MODEL_NAME}@{ALIAS_CHAMPION}"

#: Run artifact folders the register_model stage logs: the evaluate stage's report and the model card, the
#: backtest stage's report and its plots. Their typed content: :mod:`soccerpredict.models.report`.
EVALUATION_ARTIFACT: Final = "evaluation"
CARD_ARTIFACT: Final = "card"
BACKTEST_ARTIFACT: Final = "backtest"
BACKTEST_PLOTS_ARTIFACT: Final = "backtest_plots"

#: Probability columns, in the order of the model's output (home win, draw, away win).
PROBABILITY_COLUMNS: Final = ("p_home", "p_draw", "p_away")

#: Object-store keys (relative to SOCCER_STORE_URI).
#: Latest feature row per match (finished and upcoming): match_id, kickoff info, and every model feature column.
MATCH_FEATURES_KEY: Final = "features/latest/match_features.parquet"
#: Batch predictions: match_id, div, date, home_team, away_team, p_home, p_draw, p_away, model_version,
#: features_as_of (timestamp of the feature snapshot), status.
PREDICTIONS_KEY: Final = "predictions/latest/predictions.parquet"
#: Prediction cards (JSON list): teams, kickoff, probabilities, market comparison when odds exist.
CARDS_KEY: Final = "predictions/latest/cards.json"
#: The champion's evaluation (JSON, :class:`soccerpredict.models.report.ModelEvaluation`): its test-split report
#: against the baselines and the market, its model card and reliability plot, its walk-forward backtest. Published by
#: batch_inference.
MODEL_EVALUATION_KEY: Final = "monitoring/model/evaluation.json"
#: Latest Evidently drift result (JSON summary) and its HTML report.
DRIFT_SUMMARY_KEY: Final = "monitoring/drift/latest.json"
DRIFT_REPORT_KEY: Final = "monitoring/drift/latest.html"
#: One entry per monitor_drift run (JSON, :class:`soccerpredict.monitoring.drift_history.DriftHistory`): the window,
#: the drifted share, the features checked and drifted, when it was computed; oldest first, capped.
DRIFT_HISTORY_KEY: Final = "monitoring/drift/history.json"
#: The training pipeline's run record (JSON): runs by status, last success and failure times, the last run.
PIPELINE_RUNS_KEY: Final = "monitoring/pipeline/runs.json"
