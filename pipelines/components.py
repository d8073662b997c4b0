"""Kubeflow Pipelines v2 components: one thin wrapper per stage of :data:`components.stages.STAGES`.

KFP embeds each function's source in the component, so the wrappers are written out (not generated at
run time); a test checks that their arguments match the stage table. Each one hands its artifacts to
the same stage function that DVC and the CLI run. Evaluation, backtest and drift also publish
``Metrics``, ``ClassificationMetrics``, ``Markdown`` and ``HTML`` outputs so runs compare in the KFP UI.
:func:`merge_params`, not a stage of the table, runs first: it writes the pipeline's typed run
parameters into the params every stage reads (:mod:`pipelines.run_params`).
(No ``from __future__ import annotations`` here: KFP reads the annotations at decoration time.)
"""

from kfp.dsl import HTML, Artifact, ClassificationMetrics, Dataset, Input, Markdown, Metrics, Model, Output

__all__ = ["WRAPPERS", "merge_params"]


def merge_params(
    params_json: str,
    experiment: str,
    test_seasons: list[str],
    track: str,
    models: list[str],
    calibration_method: str,
    n_trials_xgb: int,
    n_trials_hgb: int,
    n_trials_logreg: int,
) -> str:
    """The params every stage reads: ``params_json`` with the typed run parameters written in, validated."""
    from pipelines.run_params import merge_params_json

    return merge_params_json(
        params_json,
        experiment=experiment,
        test_seasons=test_seasons,
        track=track,
        models=models,
        calibration_method=calibration_method,
        n_trials_xgb=n_trials_xgb,
        n_trials_hgb=n_trials_hgb,
        n_trials_logreg=n_trials_logreg,
    )


def load_data_from_sources(
    params_json: str,
    matches: Output[Dataset],
) -> None:
    from pipelines.runtime import run_component

    run_component("load_data_from_sources", params_json, matches=matches)


def validate_raw(
    params_json: str,
    matches: Input[Dataset],
    report: Output[Artifact],
) -> None:
    from pipelines.runtime import run_component

    run_component("validate_raw", params_json, matches=matches, report=report)


def preprocessing(
    params_json: str,
    matches: Input[Dataset],
    finished: Output[Dataset],
    future: Output[Dataset],
    split_info: Output[Artifact],
) -> None:
    from pipelines.runtime import run_component

    run_component(
        "preprocessing", params_json, matches=matches, finished=finished, future=future, split_info=split_info
    )


def validate_finished(
    params_json: str,
    finished: Input[Dataset],
    split_info: Input[Artifact],
    report: Output[Artifact],
) -> None:
    from pipelines.runtime import run_component

    run_component("validate_finished", params_json, finished=finished, split_info=split_info, report=report)


def validate_future(
    params_json: str,
    future: Input[Dataset],
    split_info: Input[Artifact],
    report: Output[Artifact],
) -> None:
    from pipelines.runtime import run_component

    run_component("validate_future", params_json, future=future, split_info=split_info, report=report)


def feature_engineering(
    params_json: str,
    finished: Input[Dataset],
    future: Input[Dataset],
    feature_table: Output[Dataset],
    feature_list: Output[Artifact],
) -> None:
    from pipelines.runtime import run_component

    run_component(
        "feature_engineering",
        params_json,
        finished=finished,
        future=future,
        feature_table=feature_table,
        feature_list=feature_list,
    )


def validate_features(
    params_json: str,
    feature_table: Input[Dataset],
    feature_list: Input[Artifact],
    report: Output[Artifact],
) -> None:
    from pipelines.runtime import run_component

    run_component(
        "validate_features", params_json, feature_table=feature_table, feature_list=feature_list, report=report
    )


def split_data(
    params_json: str,
    feature_table: Input[Dataset],
    train: Output[Dataset],
    test: Output[Dataset],
    split_summary: Output[Artifact],
) -> None:
    from pipelines.runtime import run_component

    run_component(
        "split_data", params_json, feature_table=feature_table, train=train, test=test, split_summary=split_summary
    )


def classification_models(
    params_json: str,
    train: Input[Dataset],
    test: Input[Dataset],
    baselines: Output[Artifact],
    baseline_predictions: Output[Dataset],
) -> None:
    from pipelines.runtime import run_component

    run_component(
        "classification_models",
        params_json,
        train=train,
        test=test,
        baselines=baselines,
        baseline_predictions=baseline_predictions,
    )


def tune_xgb(
    params_json: str,
    train: Input[Dataset],
    feature_list: Input[Artifact],
    tuning_xgb: Output[Artifact],
) -> None:
    from pipelines.runtime import run_component

    run_component("tune_xgb", params_json, train=train, feature_list=feature_list, tuning_xgb=tuning_xgb)


def tune_hgb(
    params_json: str,
    train: Input[Dataset],
    feature_list: Input[Artifact],
    tuning_hgb: Output[Artifact],
) -> None:
    from pipelines.runtime import run_component

    run_component("tune_hgb", params_json, train=train, feature_list=feature_list, tuning_hgb=tuning_hgb)


def tune_logreg(
    params_json: str,
    train: Input[Dataset],
    feature_list: Input[Artifact],
    tuning_logreg: Output[Artifact],
) -> None:
    from pipelines.runtime import run_component

    run_component("tune_logreg", params_json, train=train, feature_list=feature_list, tuning_logreg=tuning_logreg)


def select_model(
    params_json: str,
    tuning_xgb: Input[Artifact],
    tuning_hgb: Input[Artifact],
    tuning_logreg: Input[Artifact],
    selection: Output[Artifact],
) -> None:
    from pipelines.runtime import run_component

    run_component(
        "select_model",
        params_json,
        tuning_xgb=tuning_xgb,
        tuning_hgb=tuning_hgb,
        tuning_logreg=tuning_logreg,
        selection=selection,
    )


def final_train(
    params_json: str,
    train: Input[Dataset],
    feature_list: Input[Artifact],
    selection: Input[Artifact],
    model: Output[Model],
    calibration_report: Output[Artifact],
) -> None:
    from pipelines.runtime import run_component

    run_component(
        "final_train",
        params_json,
        train=train,
        feature_list=feature_list,
        selection=selection,
        model=model,
        calibration_report=calibration_report,
    )


def backtest(
    params_json: str,
    feature_table: Input[Dataset],
    feature_list: Input[Artifact],
    selection: Input[Artifact],
    backtest_report: Output[Artifact],
    backtest_plots: Output[Artifact],
    kfp_metrics: Output[Metrics],
    backtest_markdown: Output[Markdown],
) -> None:
    from pipelines.runtime import log_backtest, run_component

    run_component(
        "backtest",
        params_json,
        feature_table=feature_table,
        feature_list=feature_list,
        selection=selection,
        backtest_report=backtest_report,
        backtest_plots=backtest_plots,
    )
    log_backtest(backtest_report, kfp_metrics, backtest_plots, backtest_markdown)


def explain(
    params_json: str,
    model: Input[Model],
    test: Input[Dataset],
    feature_list: Input[Artifact],
    importance: Output[Artifact],
    importance_plots: Output[Artifact],
    importance_html: Output[HTML],
) -> None:
    from pipelines.runtime import publish_images, run_component

    run_component(
        "explain",
        params_json,
        model=model,
        test=test,
        feature_list=feature_list,
        importance=importance,
        importance_plots=importance_plots,
    )
    publish_images(importance_plots, importance_html, title="Feature importance")


def evaluate(
    params_json: str,
    model: Input[Model],
    test: Input[Dataset],
    feature_list: Input[Artifact],
    baseline_predictions: Input[Dataset],
    selection: Input[Artifact],
    calibration_report: Input[Artifact],
    split_summary: Input[Artifact],
    backtest_plots: Input[Artifact],
    importance_plots: Input[Artifact],
    evaluation: Output[Artifact],
    metrics: Output[Artifact],
    card: Output[Artifact],
    test_predictions: Output[Dataset],
    kfp_metrics: Output[Metrics],
    kfp_confusion: Output[ClassificationMetrics],
    roc_home: Output[ClassificationMetrics],
    roc_draw: Output[ClassificationMetrics],
    roc_away: Output[ClassificationMetrics],
    model_card: Output[Markdown],
) -> None:
    from pipelines.runtime import log_evaluation, run_component

    run_component(
        "evaluate",
        params_json,
        model=model,
        test=test,
        feature_list=feature_list,
        baseline_predictions=baseline_predictions,
        selection=selection,
        calibration_report=calibration_report,
        split_summary=split_summary,
        backtest_plots=backtest_plots,
        importance_plots=importance_plots,
        evaluation=evaluation,
        metrics=metrics,
        card=card,
        test_predictions=test_predictions,
    )
    log_evaluation(
        evaluation,
        test_predictions,
        card,
        kfp_metrics,
        kfp_confusion,
        model_card,
        rocs={"home": roc_home, "draw": roc_draw, "away": roc_away},
    )


def register_model(
    params_json: str,
    model: Input[Model],
    train: Input[Dataset],
    feature_list: Input[Artifact],
    evaluation: Input[Artifact],
    card: Input[Artifact],
    backtest_report: Input[Artifact],
    backtest_plots: Input[Artifact],
    registration: Output[Artifact],
) -> None:
    from pipelines.runtime import run_component

    run_component(
        "register_model",
        params_json,
        model=model,
        train=train,
        feature_list=feature_list,
        evaluation=evaluation,
        card=card,
        backtest_report=backtest_report,
        backtest_plots=backtest_plots,
        registration=registration,
    )


def promote_model(
    params_json: str,
    registration: Input[Artifact],
    evaluation: Input[Artifact],
    test_predictions: Input[Dataset],
    test: Input[Dataset],
    feature_list: Input[Artifact],
    promotion: Output[Artifact],
) -> None:
    from pipelines.runtime import run_component

    run_component(
        "promote_model",
        params_json,
        registration=registration,
        evaluation=evaluation,
        test_predictions=test_predictions,
        test=test,
        feature_list=feature_list,
        promotion=promotion,
    )


def batch_inference(
    params_json: str,
    feature_table: Input[Dataset],
    feature_list: Input[Artifact],
    predictions: Output[Dataset],
    match_features: Output[Dataset],
) -> None:
    from pipelines.runtime import run_component

    run_component(
        "batch_inference",
        params_json,
        feature_table=feature_table,
        feature_list=feature_list,
        predictions=predictions,
        match_features=match_features,
    )


def build_cards(
    params_json: str,
    predictions: Input[Dataset],
    cards: Output[Artifact],
) -> None:
    from pipelines.runtime import run_component

    run_component("build_cards", params_json, predictions=predictions, cards=cards)


def monitor_drift(
    params_json: str,
    train: Input[Dataset],
    feature_table: Input[Dataset],
    feature_list: Input[Artifact],
    drift_summary: Output[Artifact],
    drift_report: Output[Artifact],
    drift_html: Output[HTML],
) -> None:
    import shutil

    from pipelines.runtime import run_component

    run_component(
        "monitor_drift",
        params_json,
        train=train,
        feature_table=feature_table,
        feature_list=feature_list,
        drift_summary=drift_summary,
        drift_report=drift_report,
    )
    shutil.copyfile(drift_report.path, drift_html.path)


WRAPPERS = {
    fn.__name__: fn
    for fn in (
        load_data_from_sources,
        validate_raw,
        preprocessing,
        validate_finished,
        validate_future,
        feature_engineering,
        validate_features,
        split_data,
        classification_models,
        tune_xgb,
        tune_hgb,
        tune_logreg,
        select_model,
        final_train,
        backtest,
        explain,
        evaluate,
        register_model,
        promote_model,
        batch_inference,
        build_cards,
        monitor_drift,
    )
}
