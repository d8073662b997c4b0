"""Every error a SoccerPredict user can hit, in one tree.

    SoccerPredictError                 base: catch this to catch everything below
    ├── ConfigError                    a setting is missing or malformed
    ├── DataError                      input data cannot be used
    │   ├── SourceError                a source (file, folder, URL) cannot be read or fetched
    │   ├── SourceParseError           a file was read but is not a football-data/WhoScored file we understand
    │   │   └── PageLayoutError        a scraped page lacks what its layout used to have (the site changed)
    │   ├── StoreError                 the object store (local folder or S3) failed
    │   └── ValidationGateError        a Great Expectations gate failed (carries the report)
    ├── ModelError                     training, tuning or evaluation cannot proceed
    │   └── ReportError                a pipeline report (selection, backtest, evaluation) is missing or malformed
    ├── RegistryError                  MLflow registry: missing model, alias or version
    ├── PipelineError                  a pipeline stage or orchestrator failed
    └── ServingError                   the predictor, cache or queue cannot serve a request
        ├── UnknownMatchError          no features for that match id
        └── PredictorUnavailableError  the predictor is down or timed out

Each message says what went wrong and what to do about it.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "ConfigError",
    "DataError",
    "ModelError",
    "PageLayoutError",
    "PipelineError",
    "PredictorUnavailableError",
    "RegistryError",
    "ReportError",
    "ServingError",
    "SoccerPredictError",
    "SourceError",
    "SourceParseError",
    "StoreError",
    "UnknownMatchError",
    "ValidationGateError",
]


class SoccerPredictError(Exception):
    """Base of every error raised on purpose by SoccerPredict."""


class ConfigError(SoccerPredictError):
    """A setting is missing or malformed."""


class DataError(SoccerPredictError):
    """Input data cannot be used."""


class SourceError(DataError):
    """A source (file, folder or URL) cannot be read or fetched."""


class SourceParseError(DataError):
    """A source was read but its content is not in a format we understand."""


class PageLayoutError(SourceParseError):
    """A scraped page lacks the element or data its layout used to have: the site changed, update the scraper."""


class StoreError(DataError):
    """The object store failed to read or write."""


class ValidationGateError(DataError):
    """A data validation gate failed; `report` holds the failed expectations."""

    def __init__(self, message: str, report: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.report = report or {}


class ModelError(SoccerPredictError):
    """Training, tuning or evaluation cannot proceed."""


class ReportError(ModelError):
    """A pipeline report is missing or malformed: ``models/selection.json``, ``reports/backtest.json``,
    ``reports/evaluation.json`` or the published evaluation (the message names the file)."""


class RegistryError(SoccerPredictError):
    """The model registry has no such model, alias or version, or refused a change."""


class PipelineError(SoccerPredictError):
    """A pipeline stage or orchestrator failed."""


class ServingError(SoccerPredictError):
    """The serving layer cannot answer a request."""


class UnknownMatchError(ServingError):
    """No features are known for the requested match id.

    ``match_ids`` names the unknown ones when the raiser knows them (the predictor does, and says so in its 400),
    so a caller can ask again for the others in one call instead of one call per id.
    """

    def __init__(self, message: str, match_ids: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.match_ids: tuple[str, ...] = tuple(match_ids)


class PredictorUnavailableError(ServingError):
    """The predictor is down or did not answer in time."""
