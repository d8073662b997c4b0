import inspect

from soccerpredict import errors


def test_every_public_error_descends_from_the_base() -> None:
    classes = [getattr(errors, name) for name in errors.__all__]
    assert all(inspect.isclass(c) and issubclass(c, errors.SoccerPredictError) for c in classes)


def test_the_tree_in_the_docstring_names_every_error() -> None:
    doc = errors.__doc__ or ""
    missing = [name for name in errors.__all__ if name not in doc]
    assert missing == []


def test_validation_gate_error_carries_its_report() -> None:
    err = errors.ValidationGateError("gate raw failed", report={"failed": ["expect_x"]})
    assert isinstance(err, errors.DataError)
    assert err.report == {"failed": ["expect_x"]}
