"""The NetworkPolicies allow exactly the flows the system needs, evaluated with Kubernetes' NetworkPolicy semantics.

A small evaluator (below) applies the rules of networking.k8s.io/v1: a pod selected by a policy of a type is
isolated for that direction, and a connection needs an egress allowance at the client (when it is isolated) and an
ingress allowance at the server (when it is isolated); peers are pod and namespace selectors (matchLabels and
matchExpressions), ports match by number or name and protocol. ipBlock peers only match addresses outside the
cluster here. It checks the policies' logic, not a CNI's enforcement.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from workloads import pod_templates

Obj = dict[str, Any]
NS = "soccerpredict"


@dataclass(frozen=True)
class Endpoint:
    """A pod (namespace, labels, named ports) or, with namespace None, an address outside the cluster."""

    namespace: str | None
    labels: dict[str, str] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)


def selector_matches(selector: Obj | None, labels: dict[str, str]) -> bool:
    """Kubernetes label selector semantics; an empty selector matches everything."""
    selector = selector or {}
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def namespace_labels(namespace: str) -> dict[str, str]:
    return {"kubernetes.io/metadata.name": namespace}


def peer_matches(peer: Obj, policy_namespace: str, other: Endpoint) -> bool:
    if "ipBlock" in peer:
        return other.namespace is None
    if other.namespace is None:
        return False
    if "namespaceSelector" in peer:
        if not selector_matches(peer["namespaceSelector"], namespace_labels(other.namespace)):
            return False
    elif other.namespace != policy_namespace:
        return False
    return selector_matches(peer.get("podSelector"), other.labels)


def port_matches(rule_ports: list[Obj] | None, server: Endpoint, port: int, protocol: str) -> bool:
    if not rule_ports:
        return True
    for rule in rule_ports:
        if rule.get("protocol", "TCP") != protocol:
            continue
        wanted = rule.get("port")
        if wanted is None:
            return True
        number = server.ports.get(wanted) if isinstance(wanted, str) else wanted
        if number is not None and number <= port <= rule.get("endPort", number):
            return True
    return False


def direction_allows(
    policies: list[Obj], direction: str, subject: Endpoint, other: Endpoint, server: Endpoint, port: int, protocol: str
) -> bool:
    """Whether ``subject``'s policies of ``direction`` (Ingress/Egress) let the connection through."""
    if subject.namespace is None:
        return True  # outside the cluster: none of these policies applies
    selecting = [
        p
        for p in policies
        if p["metadata"]["namespace"] == subject.namespace
        and direction in p["spec"].get("policyTypes", ["Ingress"])
        and selector_matches(p["spec"]["podSelector"], subject.labels)
    ]
    if not selecting:
        return True  # not isolated
    key, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    for policy in selecting:
        for rule in policy["spec"].get(key) or []:
            peers = rule.get(peers_key)
            peer_ok = not peers or any(peer_matches(p, policy["metadata"]["namespace"], other) for p in peers)
            if peer_ok and port_matches(rule.get("ports"), server, port, protocol):
                return True
    return False


def allowed(policies: list[Obj], client: Endpoint, server: Endpoint, port: int, protocol: str = "TCP") -> bool:
    """Whether ``client`` may open a connection to ``server`` on ``port``."""
    return direction_allows(policies, "Egress", client, server, server, port, protocol) and direction_allows(
        policies, "Ingress", server, client, server, port, protocol
    )


# --- the rendered system ------------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["local", "prod"])
def system(
    request: pytest.FixtureRequest, rendered: dict[str, list[Obj]]
) -> tuple[list[Obj], dict[str, list[Endpoint]]]:
    objects = rendered[request.param]
    policies = [o for o in objects if o["kind"] == "NetworkPolicy"]
    pods: dict[str, list[Endpoint]] = {}
    for template in pod_templates(objects):
        ports = {
            p["name"]: p["containerPort"]
            for c in template.spec["containers"]
            for p in c.get("ports") or []
            if "name" in p
        }
        name = template.labels["app.kubernetes.io/name"]
        pods.setdefault(name, []).append(Endpoint(template.namespace, template.labels, ports))
    return policies, pods


def outside(namespace: str) -> Endpoint:
    """Some pod of another namespace (an ingress controller, an Airflow task, a KFP step)."""
    return Endpoint(namespace, {"app": "anything"})


INTERNET = Endpoint(None)
KUBE_DNS = Endpoint("kube-system", {"k8s-app": "kube-dns"})

REQUIRED = [
    ("soccer-api", "soccer-predictor", 8080),
    ("soccer-api", "soccer-predictor", 8081),
    ("soccer-api", "soccer-redis", 6379),
    ("soccer-api", "soccer-rabbitmq", 5672),
    ("soccer-api", "soccer-minio", 9000),
    ("soccer-worker", "soccer-rabbitmq", 5672),
    ("soccer-worker", "soccer-redis", 6379),
    ("soccer-worker", "soccer-predictor", 8080),
    ("soccer-worker", "soccer-predictor", 8081),
    ("soccer-worker", "soccer-postgres", 5432),
    ("soccer-worker", "soccer-minio", 9000),
    ("soccer-predictor", "soccer-redis", 6379),
    ("soccer-predictor", "soccer-mlflow", 5000),
    ("soccer-predictor", "soccer-minio", 9000),
    ("soccer-mlflow", "soccer-postgres", 5432),
    ("soccer-mlflow", "soccer-minio", 9000),
    ("soccer-minio-setup", "soccer-minio", 9000),
    ("prometheus", "soccer-api", 8000),
    ("prometheus", "soccer-predictor", 8080),
    ("prometheus", "soccer-worker", 9808),
    ("prometheus", "alertmanager", 9093),
    ("grafana", "prometheus", 9090),
    ("soccer-ui", "soccer-api", 8000),
]
FROM_OTHER_NAMESPACES = [
    ("ingress-nginx", "soccer-api", 8000),
    ("ingress-nginx", "soccer-ui", 8501),
    ("ingress-nginx", "grafana", 3000),
    ("ingress-nginx", "soccer-mlflow", 5000),
    ("airflow", "soccer-postgres", 5432),
    ("airflow", "soccer-minio", 9000),
    ("airflow", "soccer-mlflow", 5000),
    ("airflow", "soccer-api", 8000),
    ("kubeflow", "soccer-postgres", 5432),
    ("kubeflow", "soccer-minio", 9000),
    ("kubeflow", "soccer-mlflow", 5000),
]
DENIED = [
    ("soccer-api", "soccer-postgres", 5432),
    ("soccer-api", "soccer-mlflow", 5000),
    ("soccer-api", "soccer-predictor", 9999),
    ("prometheus", "soccer-predictor", 8081),
    ("soccer-predictor", "soccer-postgres", 5432),
    ("soccer-predictor", "soccer-rabbitmq", 5672),
    ("soccer-worker", "soccer-mlflow", 5000),
    ("soccer-redis", "soccer-api", 8000),
    ("soccer-postgres", "soccer-minio", 9000),
    ("grafana", "soccer-postgres", 5432),
    ("grafana", "soccer-api", 8000),
    ("soccer-minio-setup", "soccer-postgres", 5432),
    ("soccer-ui", "soccer-predictor", 8080),
    ("soccer-ui", "soccer-redis", 6379),
    ("soccer-ui", "soccer-minio", 9000),
    ("soccer-api", "soccer-ui", 8501),
    ("prometheus", "soccer-ui", 8501),
]
DENIED_FROM_OTHER_NAMESPACES = [
    ("ingress-nginx", "soccer-predictor", 8080),
    ("ingress-nginx", "soccer-predictor", 8081),
    ("ingress-nginx", "prometheus", 9090),
    ("ingress-nginx", "soccer-postgres", 5432),
    ("airflow", "soccer-redis", 6379),
    ("airflow", "soccer-rabbitmq", 5672),
    ("kubeflow", "soccer-api", 8000),
    ("default", "soccer-api", 8000),
    ("default", "soccer-postgres", 5432),
    ("airflow", "soccer-ui", 8501),
    ("kubeflow", "soccer-ui", 8501),
    ("default", "soccer-ui", 8501),
]


def test_default_deny_covers_every_pod(system: tuple[list[Obj], dict[str, list[Endpoint]]]) -> None:
    policies, _ = system
    deny = [
        p
        for p in policies
        if p["spec"]["podSelector"] == {} and not p["spec"].get("ingress") and not p["spec"].get("egress")
    ]
    assert deny and set(deny[0]["spec"]["policyTypes"]) == {"Ingress", "Egress"}


@pytest.mark.parametrize(("client", "server", "port"), REQUIRED)
def test_required_flow_is_allowed(
    system: tuple[list[Obj], dict[str, list[Endpoint]]], client: str, server: str, port: int
) -> None:
    policies, pods = system
    for c in pods[client]:
        for s in pods[server]:
            assert allowed(policies, c, s, port), f"{client} -> {server}:{port} is blocked"


@pytest.mark.parametrize(("namespace", "server", "port"), FROM_OTHER_NAMESPACES)
def test_flow_from_another_namespace_is_allowed(
    system: tuple[list[Obj], dict[str, list[Endpoint]]], namespace: str, server: str, port: int
) -> None:
    policies, pods = system
    assert all(allowed(policies, outside(namespace), s, port) for s in pods[server])


@pytest.mark.parametrize(("client", "server", "port"), DENIED)
def test_other_flows_are_denied(
    system: tuple[list[Obj], dict[str, list[Endpoint]]], client: str, server: str, port: int
) -> None:
    policies, pods = system
    for c in pods[client]:
        for s in pods[server]:
            assert not allowed(policies, c, s, port), f"{client} -> {server}:{port} should be blocked"


@pytest.mark.parametrize(("namespace", "server", "port"), DENIED_FROM_OTHER_NAMESPACES)
def test_flows_from_other_namespaces_are_denied(
    system: tuple[list[Obj], dict[str, list[Endpoint]]], namespace: str, server: str, port: int
) -> None:
    policies, pods = system
    assert not any(allowed(policies, outside(namespace), s, port) for s in pods[server])


def test_every_pod_resolves_names_and_only_alertmanager_reaches_the_internet(
    system: tuple[list[Obj], dict[str, list[Endpoint]]],
) -> None:
    policies, pods = system
    for name, endpoints in pods.items():
        for pod in endpoints:
            assert allowed(policies, pod, KUBE_DNS, 53, "UDP"), f"{name} cannot resolve names"
            assert allowed(policies, pod, INTERNET, 443) == (name == "alertmanager"), name


def test_evaluator_semantics() -> None:
    """The evaluator itself: isolation only by selecting policies, selectors, named ports, namespaces."""
    server = Endpoint(NS, {"app": "db"}, {"pg": 5432})
    client = Endpoint(NS, {"app": "web"})
    assert allowed([], client, server, 5432)  # nothing selects either pod: open
    policy = {
        "metadata": {"namespace": NS},
        "spec": {
            "podSelector": {"matchExpressions": [{"key": "app", "operator": "In", "values": ["db"]}]},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}], "ports": [{"port": "pg"}]}],
        },
    }
    assert allowed([policy], client, server, 5432)
    assert not allowed([policy], client, server, 5433)
    assert not allowed([policy], Endpoint(NS, {"app": "other"}), server, 5432)
    assert not allowed(
        [policy], Endpoint("elsewhere", {"app": "web"}), server, 5432
    )  # podSelector alone: own namespace


#: Who may open a connection to the predictor, per port: the facade and the workers on both of its ports (v2 REST
#: and gRPC), Prometheus on the REST port only (it scrapes /metrics there). Nobody else: the repository routes and
#: every inference call are reachable only from these pods.
PREDICTOR_CLIENTS = {8080: {"soccer-api", "soccer-worker", "prometheus"}, 8081: {"soccer-api", "soccer-worker"}}


@pytest.mark.parametrize("port", [*PREDICTOR_CLIENTS, 80, 9808, 9999])
def test_the_predictor_admits_only_the_facade_the_workers_and_the_scraper(
    system: tuple[list[Obj], dict[str, list[Endpoint]]], port: int
) -> None:
    policies, pods = system
    expected = PREDICTOR_CLIENTS.get(port, set())
    clients = {name: endpoints for name, endpoints in pods.items() if name != "soccer-predictor"}
    namespaces = {ns for ns, _, _ in [*FROM_OTHER_NAMESPACES, *DENIED_FROM_OTHER_NAMESPACES]}
    for namespace in sorted(namespaces | {"kube-system", "knative-serving", "monitoring"}):
        clients[f"a pod of {namespace}"] = [outside(namespace)]
    clients["the internet"] = [INTERNET]
    admitted = {
        name
        for name, endpoints in clients.items()
        if any(allowed(policies, c, s, port) for c in endpoints for s in pods["soccer-predictor"])
    }
    assert admitted == expected, f"port {port}: admitted {sorted(admitted)}"


def _everyone(pods: dict[str, list[Endpoint]]) -> dict[str, list[Endpoint]]:
    """Every pod of the system, a pod of each other namespace the tests know, and the internet, by name."""
    clients = dict(pods)
    namespaces = {ns for ns, _, _ in [*FROM_OTHER_NAMESPACES, *DENIED_FROM_OTHER_NAMESPACES]}
    for namespace in sorted(namespaces | {"kube-system", "monitoring"}):
        clients[f"a pod of {namespace}"] = [outside(namespace)]
    clients["the internet"] = [INTERNET]
    return clients


def test_the_web_ui_reaches_only_the_facade(system: tuple[list[Obj], dict[str, list[Endpoint]]]) -> None:
    policies, pods = system
    reached = set()
    for name, servers in _everyone(pods).items():
        # Every port a server declares, and a few it does not: a rule without ports would open them all.
        ports = {port for s in servers for port in s.ports.values()} | {80, 443, 8000, 8080, 9999}
        for port in sorted(ports):
            if any(allowed(policies, ui, s, port) for ui in pods["soccer-ui"] for s in servers):
                reached.add((name, port))
    assert reached == {("soccer-api", 8000)}, f"the UI reaches {sorted(reached)}"


@pytest.mark.parametrize("port", [8501, 80, 8000, 9999])
def test_only_the_ingress_controller_reaches_the_web_ui(
    system: tuple[list[Obj], dict[str, list[Endpoint]]], port: int
) -> None:
    policies, pods = system
    admitted = {
        name
        for name, clients in _everyone(pods).items()
        if name != "soccer-ui" and any(allowed(policies, c, s, port) for c in clients for s in pods["soccer-ui"])
    }
    assert admitted == ({"a pod of ingress-nginx"} if port == 8501 else set()), f"port {port}: {sorted(admitted)}"
