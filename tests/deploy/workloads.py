"""Helpers over the rendered objects: the pods they create (:class:`PodTemplate`, the InferenceService
included), lookups, and what the code says the manifests must agree with (the KFP image, the settings)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from soccerpredict.settings import Settings

Obj = dict[str, Any]


@dataclass(frozen=True)
class PodTemplate:
    """The pods one workload creates: where they come from, their labels and their pod spec."""

    owner: str
    namespace: str
    labels: dict[str, str]
    spec: Obj
    long_running: bool


def pod_templates(objects: Iterable[Obj]) -> Iterator[PodTemplate]:
    """Every pod template; the InferenceService's predictor counts as one (KServe copies its labels to the pods)."""
    for obj in objects:
        kind, meta = obj["kind"], obj["metadata"]
        owner = f"{kind}/{meta['name']}"
        if kind in {"Deployment", "StatefulSet", "Job"}:
            template = obj["spec"]["template"]
            labels = dict(template["metadata"].get("labels") or {})
            yield PodTemplate(owner, meta["namespace"], labels, template["spec"], kind != "Job")
        elif kind == "InferenceService":
            predictor = obj["spec"]["predictor"]
            labels = {**(predictor.get("labels") or {}), "serving.kserve.io/inferenceservice": meta["name"]}
            yield PodTemplate(owner, meta["namespace"], labels, predictor, True)


def containers(spec: Obj) -> list[Obj]:
    """Init containers and containers of a pod spec."""
    return [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]


def find(objects: Iterable[Obj], kind: str, namespace: str, name: str) -> Obj | None:
    for obj in objects:
        meta = obj["metadata"]
        if obj["kind"] == kind and meta.get("namespace") == namespace and meta["name"] == name:
            return obj
    return None


def pipeline_image() -> str:
    """The project image this source builds (soccerpredict/image.py: the KFP components' and manifests' image)."""
    from soccerpredict.image import image_reference

    return image_reference()


def settings_env_names() -> set[str]:
    """The environment variables soccerpredict.settings.Settings reads."""
    names = set()
    for field, info in Settings.model_fields.items():
        names.add(f"SOCCER_{field.upper()}")
        alias = info.validation_alias
        names |= {str(choice) for choice in getattr(alias, "choices", [])}
    return names
