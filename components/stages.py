"""The stage table: the one list of the 22 training-pipeline stages.

``soccerpredict stage NAME``, the generated ``dvc.yaml`` and the Kubeflow pipeline are all built
from :data:`STAGES`. Artifact names double as paths under the work folder (``artifacts/``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from components.stage import Stage, run_stage_function

if TYPE_CHECKING:
    from soccerpredict.settings import Settings

__all__ = ["DRIFT", "INFERENCE", "STAGES", "TAGS", "external_inputs", "run_table_stage", "stage_by_name", "tagged"]

_V = "components.validate"

#: The tags of :attr:`Stage.tags <components.stage.Stage.tags>`: the stages ``batch_inference_daily`` runs, and
#: those ``drift_daily`` runs.
INFERENCE: Final = "inference"
DRIFT: Final = "drift"
TAGS: Final[tuple[str, ...]] = (INFERENCE, DRIFT)

STAGES: Final[tuple[Stage, ...]] = (
    Stage(
        "load_data_from_sources",
        "components.load:load_data_from_sources",
        outputs={"matches": "data/matches.parquet"},
        params=("data",),
        side_effects=True,
        always_changed=True,
        code=("soccerpredict/data",),
        tags=(INFERENCE, DRIFT),
        description="ingest the configured sources into the database and read every match",
    ),
    Stage(
        "validate_raw",
        f"{_V}:validate_raw",
        inputs={"matches": "data/matches.parquet"},
        outputs={"report": "reports/validate_raw.json"},
        code=("soccerpredict/validation",),
        tags=(INFERENCE,),
        description="gate 1: identity, teams, scores and odds of every loaded match",
    ),
    Stage(
        "preprocessing",
        "components.preprocess:preprocessing",
        inputs={"matches": "data/matches.parquet"},
        outputs={"finished": "data/finished.parquet", "future": "data/future.parquet", "split_info": "data/as_of.json"},
        params=("data", "validation"),
        after=("validate_raw",),
        tags=(INFERENCE, DRIFT),
        description="finished matches to learn from, fixtures to predict",
    ),
    Stage(
        "validate_finished",
        f"{_V}:validate_finished",
        inputs={"finished": "data/finished.parquet", "split_info": "data/as_of.json"},
        outputs={"report": "reports/validate_finished.json"},
        description="gate 2: finished matches",
    ),
    Stage(
        "validate_future",
        f"{_V}:validate_future",
        inputs={"future": "data/future.parquet", "split_info": "data/as_of.json"},
        outputs={"report": "reports/validate_future.json"},
        tags=(INFERENCE,),
        description="gate 3: future fixtures",
    ),
    Stage(
        "feature_engineering",
        "components.features:feature_engineering",
        inputs={"finished": "data/finished.parquet", "future": "data/future.parquet"},
        outputs={"feature_table": "features/features.parquet", "feature_list": "features/feature_list.json"},
        params=("features",),
        code=("soccerpredict/features",),
        after=("validate_finished", "validate_future"),
        tags=(INFERENCE, DRIFT),
        description="leakage-safe ratings, form, head-to-head, rest and market features",
    ),
    Stage(
        "validate_features",
        f"{_V}:validate_features",
        inputs={"feature_table": "features/features.parquet", "feature_list": "features/feature_list.json"},
        outputs={"report": "reports/validate_features.json"},
        params=("validation",),
        description="gate 4: the feature matrix",
    ),
    Stage(
        "split_data",
        "components.features:split_data",
        inputs={"feature_table": "features/features.parquet"},
        outputs={"train": "split/train.parquet", "test": "split/test.parquet", "split_summary": "split/split.json"},
        params=("split",),
        after=("validate_features",),
        description="time-based split: train on earlier seasons, test on the latest",
    ),
    Stage(
        "classification_models",
        "components.modelling:classification_models",
        inputs={"train": "split/train.parquet", "test": "split/test.parquet"},
        outputs={"baselines": "models/baselines.json", "baseline_predictions": "models/baseline_predictions.parquet"},
        code=("soccerpredict/models",),
        description="baselines: climatology, Elo logit, goals model, market",
    ),
    *(
        Stage(
            f"tune_{name}",
            f"components.modelling:tune_{name}",
            inputs={"train": "split/train.parquet", "feature_list": "features/feature_list.json"},
            outputs={f"tuning_{name}": f"models/tuning_{name}.json"},
            params=("tuning",),
            code=("soccerpredict/models",),
            description=f"Optuna search for {label} over season folds",
        )
        for name, label in (("xgb", "XGBoost"), ("hgb", "HistGradientBoosting"), ("logreg", "logistic regression"))
    ),
    Stage(
        "select_model",
        "components.modelling:select_model",
        inputs={
            "tuning_xgb": "models/tuning_xgb.json",
            "tuning_hgb": "models/tuning_hgb.json",
            "tuning_logreg": "models/tuning_logreg.json",
        },
        outputs={"selection": "models/selection.json"},
        description="lowest cross-validated log-loss wins",
    ),
    Stage(
        "final_train",
        "components.modelling:final_train",
        inputs={
            "train": "split/train.parquet",
            "feature_list": "features/feature_list.json",
            "selection": "models/selection.json",
        },
        outputs={"model": "models/model.joblib", "calibration_report": "models/calibration.json"},
        params=("calibration",),
        code=("soccerpredict/models",),
        description="fit the selected model, calibrate on the latest training season",
    ),
    Stage(
        "backtest",
        "components.evaluation:backtest",
        inputs={
            "feature_table": "features/features.parquet",
            "feature_list": "features/feature_list.json",
            "selection": "models/selection.json",
        },
        outputs={"backtest_report": "reports/backtest.json", "backtest_plots": "reports/backtest_plots"},
        params=("backtest", "evaluate"),
        code=("soccerpredict/models",),
        description="walk-forward by season against the market",
    ),
    Stage(
        "explain",
        "components.evaluation:explain",
        inputs={
            "model": "models/model.joblib",
            "test": "split/test.parquet",
            "feature_list": "features/feature_list.json",
        },
        outputs={"importance": "reports/importance.json", "importance_plots": "reports/importance_plots"},
        params=("evaluate",),
        code=("soccerpredict/models",),
        description="permutation importance on the test seasons",
    ),
    Stage(
        "evaluate",
        "components.evaluation:evaluate",
        inputs={
            "model": "models/model.joblib",
            "test": "split/test.parquet",
            "feature_list": "features/feature_list.json",
            "baseline_predictions": "models/baseline_predictions.parquet",
            "selection": "models/selection.json",
            "calibration_report": "models/calibration.json",
            "split_summary": "split/split.json",
            "backtest_plots": "reports/backtest_plots",
            "importance_plots": "reports/importance_plots",
        },
        outputs={
            "evaluation": "reports/evaluation.json",
            "metrics": "metrics.json",
            "card": "reports/model_card",
            "test_predictions": "reports/test_predictions.parquet",
        },
        params=("evaluate",),
        code=("soccerpredict/models",),
        description="test seasons vs baselines and the closing market; model card with every plot",
    ),
    Stage(
        "register_model",
        "components.publish:register_model",
        inputs={
            "model": "models/model.joblib",
            "train": "split/train.parquet",
            "feature_list": "features/feature_list.json",
            "evaluation": "reports/evaluation.json",
            "card": "reports/model_card",
            "backtest_report": "reports/backtest.json",
            "backtest_plots": "reports/backtest_plots",
        },
        outputs={"registration": "registry/registration.json"},
        side_effects=True,
        code=("soccerpredict/registry",),
        description="log to MLflow, register soccer-1x2 @smoke",
    ),
    Stage(
        "promote_model",
        "components.publish:promote_model",
        inputs={
            "registration": "registry/registration.json",
            "evaluation": "reports/evaluation.json",
            "test_predictions": "reports/test_predictions.parquet",
            "test": "split/test.parquet",
            "feature_list": "features/feature_list.json",
        },
        outputs={"promotion": "registry/promotion.json"},
        params=("evaluate",),
        side_effects=True,
        code=("soccerpredict/registry",),
        description="@candidate if it beats the baselines, @champion if it beats the champion",
    ),
    Stage(
        "batch_inference",
        "components.publish:batch_inference",
        inputs={
            "feature_table": "features/features.parquet",
            "feature_list": "features/feature_list.json",
        },
        outputs={"predictions": "serving/predictions.parquet", "match_features": "serving/match_features.parquet"},
        params=("publish",),
        side_effects=True,
        # It reads the champion from the registry, not the promotion report: after the promotion, never from it,
        # so batch_inference_daily runs it without a training run's files.
        after=("promote_model",),
        tags=(INFERENCE,),
        description="score fixtures and recent matches with the champion; publish them and its evaluation",
    ),
    Stage(
        "build_cards",
        "components.publish:build_cards",
        inputs={"predictions": "serving/predictions.parquet"},
        outputs={"cards": "serving/cards.json"},
        side_effects=True,
        tags=(INFERENCE,),
        description="prediction cards with the market's view",
    ),
    Stage(
        "monitor_drift",
        "components.drift:monitor_drift",
        inputs={
            "train": "split/train.parquet",
            "feature_table": "features/features.parquet",
            "feature_list": "features/feature_list.json",
        },
        outputs={"drift_summary": "reports/drift.json", "drift_report": "reports/drift.html"},
        params=("drift",),
        side_effects=True,
        code=("soccerpredict/monitoring",),
        tags=(DRIFT,),
        description="Evidently drift of the latest features against the training reference",
    ),
)

_BY_NAME = {stage.name: stage for stage in STAGES}


def stage_by_name(name: str) -> Stage:
    """The stage called ``name``; a clear error listing the known ones otherwise."""
    from soccerpredict.errors import PipelineError

    try:
        return _BY_NAME[name]
    except KeyError:
        raise PipelineError(f"no stage {name!r}; stages: {', '.join(_BY_NAME)}") from None


def tagged(tag: str) -> tuple[Stage, ...]:
    """The stages tagged ``tag``, in the table's order; a clear error listing the known tags otherwise."""
    from soccerpredict.errors import PipelineError

    if tag not in TAGS:
        raise PipelineError(f"no stage tag {tag!r}; tags: {', '.join(TAGS)}")
    return tuple(stage for stage in STAGES if tag in stage.tags)


def external_inputs(stages: tuple[Stage, ...]) -> list[str]:
    """The artifacts ``stages`` read that none of them writes (another run must provide them), in first-read order."""
    written = {name for stage in stages for name in stage.outputs.values()}
    read = [name for stage in stages for name in stage.inputs.values() if name not in written]
    return list(dict.fromkeys(read))


def run_table_stage(
    stage: Stage, *, paths: Mapping[str, Path], params: Mapping[str, Any], settings: Settings
) -> dict[str, Any]:
    """Run a stage of the table (:func:`~components.stage.run_stage_function`) and record the pipeline run.

    A stage that fails records a failed run, and the table's last stage records a successful one
    (:mod:`soccerpredict.monitoring.pipeline_runs`), under every orchestrator alike: each of them (the CLI's
    ``stage`` under DVC and Airflow, the KFP component, the sequential run) calls this, never the bare runner.
    """
    from soccerpredict.monitoring.pipeline_runs import record_run_quietly

    if _BY_NAME.get(stage.name) is not stage:
        raise ValueError(f"stage {stage.name!r} is not the table's")
    try:
        summary = run_stage_function(stage, paths=paths, params=params, settings=settings)
    except Exception as exc:
        record_run_quietly(settings, "failed", stage=stage.name, error=f"{type(exc).__name__}: {exc}")
        raise
    if stage is STAGES[-1]:
        record_run_quietly(settings, "success", stage=stage.name)
    return summary
