"""Run a container of the project image exactly as a manifest of manifests/base runs it, on this machine's Docker.

Read from the manifest, never copied into a test: the command and args, the env (the ``soccer-config``
ConfigMap through ``envFrom``, then the container's own ``env``), the pod's user and group, the container's
security context (read-only root file system, dropped capabilities, no privilege escalation), its ``emptyDir``
mounts (as tmpfs), its CPU and memory limits, and its probes, which decide when it is ready.

What cannot be the cluster's is swapped, and only that: values that name a cluster address
(``*.svc.cluster.local``, ``s3://``) and values from Secrets are given by the test for this machine, and a test
that leaves one of them out fails. Containers use the host's network (the services of this machine listen on
127.0.0.1 only), so each declared container port is remapped to a free port of this machine (serving.stack.free_port:
below the ephemeral range, so no outgoing connection can take it before the container binds it): in an env value of
a ``*_PORT`` variable, after ``--port`` in the args, and in the probes, as a Service's port mapping would.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from serving.stack import free_port

REPO = Path(__file__).resolve().parents[2]
BASE = REPO / "manifests" / "base"
CONFIG_MAP = BASE / "core" / "config.yaml"


def _is_cluster_address(value: str) -> bool:
    return "svc.cluster.local" in value or value.startswith("s3://")


def _pod_and_container(manifest: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    doc = yaml.safe_load(manifest.read_text())
    pod = doc["spec"]["predictor"] if doc["kind"] == "InferenceService" else doc["spec"]["template"]["spec"]
    return pod, pod["containers"][0]


def _quantity_bytes(text: str) -> int:
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30}
    for suffix, factor in units.items():
        if text.endswith(suffix):
            return int(float(text[: -len(suffix)]) * factor)
    return int(text)


def _cpus(text: str) -> float:
    return float(text[:-1]) / 1000 if text.endswith("m") else float(text)


@dataclass
class ManifestContainer:
    """One container of a manifest, ready to start on the local Docker engine."""

    manifest: Path
    image: str
    #: Replacements for cluster addresses of the ConfigMap or env (None drops the variable).
    local_values: Mapping[str, str | None]
    #: (secret name, key) -> value on this machine.
    secrets: Mapping[tuple[str, str], str]
    #: Host folders mounted at the same path (the state a test prepared: registry, object store).
    mounts: tuple[Path, ...] = ()
    ports: dict[int, int] = field(default_factory=dict)  # container port -> host port

    def __post_init__(self) -> None:
        self.pod, self.spec = _pod_and_container(self.manifest)
        for port in self.spec.get("ports", []):
            self.ports[int(port["containerPort"])] = free_port()

    def _remap(self, value: str) -> str:
        return str(self.ports.get(int(value), value)) if value.isdigit() else value

    def environment(self) -> dict[str, str]:
        """The container's env as the kubelet builds it, with this machine's values where the cluster's can't be."""
        env: dict[str, str] = {}
        sources = [ref["configMapRef"]["name"] for ref in self.spec.get("envFrom", []) if "configMapRef" in ref]
        config = yaml.safe_load(CONFIG_MAP.read_text())
        assert sources in ([], [config["metadata"]["name"]]), f"unknown envFrom {sources}"
        if sources:
            env.update({key: str(value) for key, value in config["data"].items()})
        for item in self.spec.get("env", []):
            if "value" in item:
                name = item["name"]
                env[name] = self._remap(item["value"]) if name.endswith("_PORT") else item["value"]
            else:
                ref = item["valueFrom"]["secretKeyRef"]
                key = (ref["name"], ref["key"])
                assert key in self.secrets, f"{self.manifest.name}: give a local value for the Secret {key}"
                env[item["name"]] = self.secrets[key]
        for name, value in list(env.items()):
            if _is_cluster_address(value):
                assert name in self.local_values, f"{name}={value} names the cluster: give a local value"
        for name, local in self.local_values.items():
            assert name in env, f"{name} is not in the manifest's env: nothing to replace"
            if local is None:
                env.pop(name)
            else:
                env[name] = local
        return env

    def command(self) -> tuple[list[str], list[str]]:
        """The manifest's command (Docker's entrypoint) and args, ``--port`` remapped."""
        args = list(self.spec.get("args", []))
        for i, arg in enumerate(args[:-1]):
            if arg == "--port":
                args[i + 1] = self._remap(args[i + 1])
        return list(self.spec["command"]), args

    def run_kwargs(self) -> dict[str, Any]:
        """Arguments of docker-py's ``containers.run`` that carry the pod's and container's settings."""
        pod_sc = self.pod.get("securityContext", {})
        sc = self.spec.get("securityContext", {})
        empty_dirs = {v["name"] for v in self.pod.get("volumes", []) if "emptyDir" in v}
        tmpfs = {m["mountPath"]: "" for m in self.spec.get("volumeMounts", []) if m["name"] in empty_dirs}
        limits = self.spec.get("resources", {}).get("limits", {})
        entrypoint, args = self.command()
        kwargs: dict[str, Any] = {
            "entrypoint": entrypoint,
            "command": args,
            "environment": self.environment(),
            "user": f"{pod_sc['runAsUser']}:{pod_sc.get('runAsGroup', pod_sc['runAsUser'])}",
            "read_only": bool(sc.get("readOnlyRootFilesystem")),
            "cap_drop": sc.get("capabilities", {}).get("drop", []),
            "security_opt": [] if sc.get("allowPrivilegeEscalation", True) else ["no-new-privileges"],
            "tmpfs": tmpfs,
            "network_mode": "host",
            "volumes": {str(path): {"bind": str(path), "mode": "rw"} for path in self.mounts},
            "detach": True,
        }
        if "memory" in limits:
            kwargs["mem_limit"] = _quantity_bytes(limits["memory"])
        if "cpu" in limits:
            kwargs["nano_cpus"] = int(_cpus(str(limits["cpu"])) * 1e9)
        return kwargs

    def url(self, port: int) -> str:
        """``http://127.0.0.1:<host port>`` of a container port the manifest declares."""
        return f"http://127.0.0.1:{self.ports[port]}"

    def probe_url(self, probe: str) -> str:
        get = self.spec[probe]["httpGet"]
        return f"{self.url(int(get['port']))}{get['path']}"

    def wait_for(self, container: Any, probe: str) -> float:
        """Poll the manifest's ``probe`` as the kubelet would (period x failure threshold); seconds until it passed."""
        spec = self.spec[probe]
        deadline_s = spec.get("initialDelaySeconds", 0) + spec.get("periodSeconds", 10) * spec.get(
            "failureThreshold", 3
        )
        url = self.probe_url(probe)
        start = time.monotonic()
        while time.monotonic() - start < deadline_s:
            container.reload()
            assert container.status in {"created", "running"}, self.logs(container)
            try:
                if httpx.get(url, timeout=spec.get("timeoutSeconds", 1)).status_code == 200:
                    return time.monotonic() - start
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise AssertionError(f"{probe} {url} did not pass in {deadline_s} s:\n{self.logs(container)}")

    @staticmethod
    def logs(container: Any) -> str:
        return str(container.logs(tail=80).decode(errors="replace"))
