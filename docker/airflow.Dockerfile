# Airflow for SoccerPredict: Airflow 3.3.2 (airflow/requirements.lock) plus the project image's environment.
#
#   make image        # builds docker/app.Dockerfile, then this on the same base, tagged from soccerpredict/image.py
#
# Built from the same base as the project image (BASE_IMAGE: the public python:3.11 slim image, or the offline
# base docker/base-image.sh makes from Debian's package registry) rather than from apache/airflow, so it also
# builds where no container registry answers. Airflow and the project cannot share a venv (Airflow 3's task SDK
# needs psutil>=6.1, kserve needs <6): Airflow lives in /opt/airflow/venv from its own lock; the project's venv and
# code are copied as they are from the project image this source builds (PROJECT_IMAGE, which docker/build.sh
# passes), at the same paths (/opt/venv, /app: the venv's scripts name their interpreter by path), so the DAG tasks
# run exactly the environment the cluster's other pods run, installed once. The DAG tasks call the project's CLI
# (SOCCERPREDICT_BIN, airflow/dags/soccer_common.py); the DAGs are baked in at /app/airflow/dags, and on
# Kubernetes git-sync (manifests/base/airflow/values.yaml) serves them. Like the official image it runs as uid
# 50000, gid 0, with `airflow` on PATH, so the Helm chart's `bash -c "exec airflow ..."` commands work unchanged.
ARG BASE_IMAGE=python:3.11.13-slim-bookworm
ARG PROJECT_IMAGE

FROM ${PROJECT_IMAGE} AS project

FROM ${BASE_IMAGE} AS builder

SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# The build machine's CA bundle, for TLS to PyPI: this stage only (see docker/app.Dockerfile).
COPY docker/build-ca.crt /tmp/build-ca.crt
ENV SSL_CERT_FILE=/tmp/build-ca.crt \
    PIP_CERT=/tmp/build-ca.crt \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

ARG UV_VERSION=0.13.9
RUN python3 -m venv /opt/uv && /opt/uv/bin/pip install --quiet "uv==${UV_VERSION}"

ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_NATIVE_TLS=1 \
    UV_NO_CACHE=1

# Airflow, exactly as its lock pins it.
COPY airflow/requirements.lock /tmp/airflow-requirements.lock
RUN /opt/uv/bin/uv venv /opt/airflow/venv --python "$(command -v python3.11)" \
    && /opt/uv/bin/uv pip install --python /opt/airflow/venv/bin/python -r /tmp/airflow-requirements.lock


FROM ${BASE_IMAGE}

SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# libgomp1: OpenMP runtime of xgboost in the project venv (the offline base has it already).
RUN if ! dpkg -s libgomp1 >/dev/null 2>&1; then \
        apt-get update \
        && apt-get install -y --no-install-recommends libgomp1 \
        && apt-get clean \
        && rm -rf /var/lib/apt/lists/*; \
    fi

# The official image's user: uid 50000 in group 0 (the Helm chart's defaults), home /home/airflow.
RUN useradd --uid 50000 --gid 0 --home-dir /home/airflow --create-home --shell /bin/bash airflow \
    && mkdir -p /opt/airflow \
    && chown airflow:0 /opt/airflow \
    && chmod g+rwx /opt/airflow

COPY --from=builder /opt/airflow/venv /opt/airflow/venv
COPY --from=project /opt/venv /opt/venv
COPY --from=project /app /app
COPY airflow/dags /app/airflow/dags

# Defaults for the DAGs (airflow/dags/soccer_common.py); the Helm values set the cluster's URLs and secrets.
ENV PATH=/opt/airflow/venv/bin:$PATH \
    AIRFLOW_HOME=/opt/airflow \
    AIRFLOW__CORE__LOAD_EXAMPLES=False \
    AIRFLOW__CORE__DAGS_FOLDER=/app/airflow/dags \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    SOCCERPREDICT_BIN=/opt/venv/bin/soccerpredict \
    SOCCER_PARAMS=/app/params.yaml

ARG VERSION=unknown
ARG SOURCE_DIGEST=unknown
ARG VCS_REF=unknown
LABEL org.opencontainers.image.title="soccerpredict-airflow" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${VCS_REF}" \
      io.soccerpredict.source-digest="${SOURCE_DIGEST}"

WORKDIR /opt/airflow
USER 50000

# Docker only (the Helm chart sets its own probes per Airflow component): the project environment the DAG
# tasks call must import.
HEALTHCHECK --interval=60s --timeout=30s --start-period=30s --retries=3 \
    CMD ["/opt/venv/bin/python", "-c", "import soccerpredict.cli"]

CMD ["airflow", "version"]
