"""The pipeline's JSON reports, typed: model selection, the backtest, the evaluation and its published copy.

``models/selection.json`` (written by :func:`components.modelling.select_model`, read by ``final_train``, ``backtest``
and ``evaluate``), ``reports/backtest.json`` (written by :func:`components.evaluation.backtest`, read by the KFP
logger; the registry logs it with the run and batch inference publishes it) and ``reports/evaluation.json``
(written by :func:`components.evaluation.evaluate`; the registry logs it with the run, and the register and promote
stages, the KFP logger, the predictor's gauges and the facade read it):
this module is the one definition each writer and its readers validate against. The JSON keys are the ones the
stages always wrote; keys a newer writer adds are kept (``extra="allow"``), so an older reader still round-trips
them. A missing or malformed file raises :class:`~soccerpredict.errors.ReportError` naming it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar, Final, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from soccerpredict.errors import ReportError

__all__ = [
    "MAX_BACKTEST_PLOT_BYTES",
    "MAX_CARD_BYTES",
    "MAX_PLOT_BYTES",
    "BacktestPlot",
    "BacktestReport",
    "BacktestScores",
    "Comparison",
    "EvaluationData",
    "EvaluationReport",
    "JsonReport",
    "ModelEvaluation",
    "PublishedBacktest",
    "QualityGate",
    "Scores",
    "SelectionReport",
]

#: Largest model card (Markdown) and reliability plot (PNG) the published evaluation carries; larger are left out.
MAX_CARD_BYTES: Final = 256 * 1024
MAX_PLOT_BYTES: Final = 512 * 1024
#: Largest backtest plot (PNG) the published evaluation carries, each; larger are left out and named.
MAX_BACKTEST_PLOT_BYTES: Final = 512 * 1024


class JsonReport(BaseModel):
    """What every report file shares: parse and validate, read a file, write it back with the keys it was given."""

    model_config = ConfigDict(extra="allow", protected_namespaces=())

    #: What the report is called in errors, and the stage that writes it.
    report_name: ClassVar[str] = "report"
    written_by: ClassVar[str] = "the stage that writes it"
    #: A key every such report has: :meth:`find` takes a JSON object with it for one.
    marker_key: ClassVar[str] = ""

    @classmethod
    def from_json(cls, text: str | bytes, *, source: str | None = None) -> Self:
        """Parse and validate a report; :class:`ReportError` naming ``source`` when it is not one."""
        try:
            return cls.model_validate_json(text)
        except ValidationError as exc:
            where = source or f"the {cls.report_name}"
            raise ReportError(f"{where} is not a valid {cls.report_name}: {_errors(exc)}") from exc

    @classmethod
    def read(cls, path: Path) -> Self:
        """The report in ``path``; :class:`ReportError` naming the file when it is missing or malformed."""
        try:
            text = path.read_bytes()
        except OSError as exc:
            raise ReportError(f"cannot read the {cls.report_name} {path}: {exc}; run {cls.written_by}") from exc
        return cls.from_json(text, source=str(path))

    def to_json(self) -> str:
        """The report as the stage writes it: the keys it was given, indented, NaN kept as the json module writes it."""
        return json.dumps(self.model_dump(exclude_unset=True), indent=2)

    def write(self, path: Path) -> Path:
        """Write :meth:`to_json` to ``path``."""
        path.write_text(self.to_json())
        return path

    @classmethod
    def find(cls, path: Path) -> Self | None:
        """The report in a downloaded run artifact (a file, or a folder holding it); None when it holds none.

        The folder holds one JSON file (``evaluation.json`` under DVC, ``evaluation`` under Kubeflow). A JSON
        file that looks like the report (it has :attr:`marker_key`) but does not validate raises
        :class:`ReportError`.
        """
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            try:
                text = file.read_text()
                raw = json.loads(text)
            except (OSError, ValueError):
                continue
            if isinstance(raw, dict) and cls.marker_key in raw:
                return cls.from_json(text, source=str(file))
        return None


class SelectionReport(JsonReport):
    """``models/selection.json``: the candidate with the lowest cross-validated log-loss, and each one's tuning."""

    report_name: ClassVar[str] = "model selection"
    written_by: ClassVar[str] = "the select_model stage"

    model: str = Field(description="The selected estimator (xgb, hgb, logreg).")
    params: dict[str, Any] = Field(description="Its best hyperparameters.")
    cv_log_loss: float = Field(description="Its mean log-loss over the season folds.")
    candidates: dict[str, dict[str, Any]] = Field(description="Each tuned candidate's result, by name.")
    seed: int = Field(description="The seed it was tuned with; refits use it too.")


class BacktestScores(BaseModel):
    """One row of the walk-forward's scores (:func:`soccerpredict.models.backtest.report_by_group`), in its order.

    The model's metrics, then the closing market's (``bench_``) on the ``n_bench`` matches it priced, and the model's
    RPS minus the market's with its 95% bootstrap interval; None (NaN on disk) when the market priced none.
    """

    model_config = ConfigDict(extra="allow")

    n: int | None = None
    rps: float
    log_loss: float | None = None
    brier: float | None = None
    accuracy: float | None = None
    ece: float | None = None
    n_bench: int | None = None
    bench_rps: float | None = None
    bench_log_loss: float | None = None
    bench_brier: float | None = None
    bench_accuracy: float | None = None
    bench_ece: float | None = None
    rps_diff: float | None = None
    rps_diff_lo: float | None = None
    rps_diff_hi: float | None = None


class BacktestReport(JsonReport):
    """``reports/backtest.json``: the selected model refitted before each backtest season, against the market."""

    report_name: ClassVar[str] = "backtest report"
    written_by: ClassVar[str] = "the backtest stage"
    marker_key: ClassVar[str] = "by_division_season"

    model: str | None = Field(default=None, description="The selected estimator the walk-forward refitted.")
    seasons: list[str] = Field(default=[], description="The backtest seasons, each predicted from the ones before.")
    overall: BacktestScores = Field(description="Over every backtest match.")
    by_division_season: list[dict[str, Any]] = Field(
        default=[], description="One row per division and season: ``div``, ``season`` and the overall's columns."
    )


class Scores(BaseModel):
    """One forecaster's scores on the test seasons (the names of :data:`soccerpredict.models.metrics.METRICS`)."""

    model_config = ConfigDict(extra="allow")

    rps: float
    log_loss: float | None = None
    brier: float | None = None
    accuracy: float | None = None
    ece: float | None = None
    #: Test matches this forecaster had probabilities for (baselines and the market only).
    n: int | None = None


class Comparison(BaseModel):
    """The model's mean RPS minus another forecaster's on the matches both forecast, with a bootstrap CI."""

    model_config = ConfigDict(extra="allow")

    #: None (NaN on disk) when the two share no match.
    rps_diff: float | None
    lo: float | None
    hi: float | None
    n: int


class QualityGate(BaseModel):
    """Whether the model beat the baselines it must beat (the @candidate rule), per baseline."""

    model_config = ConfigDict(extra="allow")

    passed: bool
    beats: dict[str, bool] = {}
    rules: dict[str, str] = {}


class EvaluationData(BaseModel):
    """What was evaluated: the split's summary plus the test rows' extent."""

    model_config = ConfigDict(extra="allow")

    test_seasons: list[str]
    train_seasons: list[str] = []
    n_train: int | None = None
    n_test: int | None = None
    divisions: list[str] = []
    date_from: str | None = None
    date_to: str | None = None


class EvaluationReport(JsonReport):
    """``reports/evaluation.json``: the final model against each baseline and the closing market on the test split.

    ``metrics`` maps each forecaster to its scores: ``model_key`` names the evaluated model, ``benchmark_key``
    the closing market; the rest are the baselines.
    """

    report_name: ClassVar[str] = "evaluation report"
    written_by: ClassVar[str] = "the evaluate stage"
    marker_key: ClassVar[str] = "metrics"

    model_name: str = Field(description="The selected estimator (xgb, hgb, logreg).")
    created: str = Field(description="When the report was written (ISO 8601, UTC).")
    track: str
    data: EvaluationData
    metrics: dict[str, Scores]
    model_key: str = "model"
    benchmark_key: str = "market"
    overall: dict[str, Any] = {}
    comparisons: dict[str, Comparison] = {}
    by_division: list[dict[str, Any]] = []
    calibration: dict[str, Any] = {}
    tuning: dict[str, Any] = {}
    params: dict[str, Any] = {}
    quality_gate: QualityGate
    warnings: list[str] = []

    @property
    def model_scores(self) -> Scores:
        """The evaluated model's scores."""
        return self.metrics[self.model_key]

    @property
    def baselines(self) -> list[str]:
        """The forecasters other than the model and the market, by name."""
        return sorted(name for name in self.metrics if name not in (self.model_key, self.benchmark_key))


class BacktestPlot(BaseModel):
    """One plot of the backtest stage, as the published evaluation carries it."""

    name: str = Field(description="Its file name in the backtest stage's plots (reports/backtest_plots).")
    title: str = Field(description="What it shows.")
    png: str = Field(description="The PNG, base64.")


class PublishedBacktest(BaseModel):
    """The champion run's walk-forward backtest: its report and its plots of at most 512 KiB each."""

    report: BacktestReport
    plots: list[BacktestPlot] = Field(default=[], description="The plots, by file name.")
    omitted: list[str] = Field(
        default=[], description="The plots left out because they are larger than 512 KiB, by file name."
    )


class ModelEvaluation(BaseModel):
    """The champion's evaluation as batch inference publishes it: its report, its card, its reliability plot and
    its walk-forward backtest."""

    model_config = ConfigDict(
        protected_namespaces=(),
        json_schema_extra={
            "examples": [
                {
                    "model": "soccer-1x2",
                    "version": "7",
                    "published_at": "2024-08-16T06:00:00+00:00",
                    "evaluation": {
                        "model_name": "xgb",
                        "created": "2024-08-15T21:03:11+00:00",
                        "track": "pre_match",
                        "data": {"test_seasons": ["2324"], "n_train": 14820, "n_test": 1826},
                        "metrics": {
                            "model": {"rps": 0.1968, "log_loss": 0.981, "brier": 0.582, "accuracy": 0.512,
                                      "ece": 0.019},
                            "market": {"rps": 0.1951, "log_loss": 0.975, "brier": 0.578, "accuracy": 0.518,
                                       "ece": 0.014, "n": 1826},
                            "climatology": {"rps": 0.2229, "log_loss": 1.068, "brier": 0.655, "accuracy": 0.447,
                                            "ece": 0.008, "n": 1826},
                        },
                        "model_key": "model",
                        "benchmark_key": "market",
                        "comparisons": {"climatology": {"rps_diff": -0.0261, "lo": -0.0285, "hi": -0.0238, "n": 1826}},
                        "quality_gate": {"passed": True, "beats": {"climatology": True}},
                    },
                    "card": "# Model card: soccer-1x2\n…",
                    "reliability_png": None,
                    "backtest": {
                        "report": {
                            "model": "xgb",
                            "seasons": ["2223"],
                            "overall": {"n": 1826, "rps": 0.1972, "n_bench": 1826, "bench_rps": 0.1955,
                                        "rps_diff": 0.0017, "rps_diff_lo": 0.0008, "rps_diff_hi": 0.0026},
                            "by_division_season": [],
                        },
                        "plots": [],
                        "omitted": [],
                    },
                }
            ]
        },
    )  # fmt: skip

    model: str = Field(description="The registered model's name.")
    version: str = Field(description="The registry version holding the @champion alias when it was published.")
    published_at: str = Field(description="When batch inference published it (ISO 8601, UTC).")
    evaluation: EvaluationReport
    card: str | None = Field(
        default=None, description="The model card (Markdown), when the run logged one no larger than 256 KiB."
    )
    reliability_png: str | None = Field(
        default=None,
        description="The card's reliability diagram (model and market) as base64 PNG, when it has one of at most "
        "512 KiB.",
    )
    backtest: PublishedBacktest | None = Field(
        default=None,
        description="The walk-forward backtest (model against the closing market per test season), when the "
        "champion's run logged one; evaluations published before it was carried have none.",
    )

    def to_json(self) -> str:
        """The published JSON (NaN kept as the json module writes it; the facade's responses turn it into null)."""
        return json.dumps(self.model_dump(exclude_unset=True), indent=2)

    @classmethod
    def from_json(cls, text: str | bytes, *, source: str = "the published evaluation") -> ModelEvaluation:
        """Parse and validate; :class:`ReportError` naming ``source`` when it is malformed."""
        try:
            return cls.model_validate_json(text)
        except ValidationError as exc:
            raise ReportError(f"{source} is not a valid published evaluation: {_errors(exc)}") from exc


def _errors(exc: ValidationError, *, limit: int = 3) -> str:
    shown = [f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in exc.errors()[:limit]]
    more = exc.error_count() - len(shown)
    return "; ".join(shown) + (f"; and {more} more" if more > 0 else "")
