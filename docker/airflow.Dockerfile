# syntax=docker/dockerfile:1
# Airflow for SoccerPredict: the official Airflow 3.3.2 image plus the project's main environment.
#
#   docker build -f docker/airflow.Dockerfile -t ghcr.io/soccerpredict/airflow:0.1.0 .
#
# Airflow and the project cannot share a venv (Airflow 3's task SDK needs psutil>=6.1, kserve needs <6), so
# the project gets its own venv at /opt/soccerpredict/venv and the DAG tasks call its CLI
# (SOCCERPREDICT_BIN, airflow/dags/soccer_common.py). The DAGs are baked in at
# /opt/soccerpredict/app/airflow/dags; on Kubernetes git-sync (manifests/base/airflow/values.yaml) serves them.
# Both stages start from the same image, so the venv's interpreter is at the same path at run time.
# Pin the base by digest too when you publish.

# uv itself, from its official image (same version as the Makefile's UV_VERSION).
FROM ghcr.io/astral-sh/uv:0.13.9 AS uv

FROM apache/airflow:3.3.2-python3.11 AS builder

SHELL ["/bin/bash", "-o", "pipefail", "-c"]

USER root
RUN mkdir -p /opt/soccerpredict/app && chown -R airflow:root /opt/soccerpredict
COPY --from=uv /uv /usr/local/bin/uv

# The venv is built by the image's own user; uv picks the image's Python 3.11 (its base interpreter, should
# python3.11 on PATH be a venv's), the same one the runtime stage has.
USER airflow

ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/soccerpredict/venv

WORKDIR /opt/soccerpredict/app

COPY --chown=airflow:root pyproject.toml uv.lock README.md ./
RUN uv venv /opt/soccerpredict/venv --python "$(command -v python3.11)" \
    && uv sync --frozen --no-dev --no-install-project

COPY --chown=airflow:root soccerpredict ./soccerpredict
COPY --chown=airflow:root components ./components
COPY --chown=airflow:root pipelines ./pipelines
COPY --chown=airflow:root serving ./serving
COPY --chown=airflow:root conf ./conf
COPY --chown=airflow:root airflow/dags ./airflow/dags
COPY --chown=airflow:root params.yaml dvc.yaml ./
RUN uv sync --frozen --no-dev


FROM apache/airflow:3.3.2-python3.11

SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# libgomp1: OpenMP runtime of xgboost in the project venv.
USER root
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgomp1 \
    && apt-get clean \
    && rm -rf /var/lib/apt/lists/*

COPY --from=builder --chown=airflow:root /opt/soccerpredict /opt/soccerpredict

# Defaults for the DAGs (airflow/dags/soccer_common.py); the Helm values set the cluster's URLs and secrets.
ENV SOCCERPREDICT_BIN=/opt/soccerpredict/venv/bin/soccerpredict \
    SOCCER_PARAMS=/opt/soccerpredict/app/params.yaml

# The image's own non-root user (uid 50000, the Helm chart's default uid).
USER 50000

# Docker only (the Helm chart sets its own probes per Airflow component): the project environment the DAG
# tasks call must import.
HEALTHCHECK --interval=60s --timeout=30s --start-period=30s --retries=3 \
    CMD ["/opt/soccerpredict/venv/bin/python", "-c", "import soccerpredict.cli"]
