# syntax=docker/dockerfile:1
# The SoccerPredict project image: one image for the KServe predictor, the FastAPI facade, the Celery
# workers, the MLflow tracking server and every KFP component (pipelines/kfp_pipeline.py DEFAULT_IMAGE).
#
#   docker build -f docker/app.Dockerfile -t ghcr.io/soccerpredict/soccerpredict:0.1.0 .
#
# The base is pinned by tag; pin it by digest too when you publish (docker buildx imagetools inspect
# python:3.11.13-slim-bookworm, then FROM python:3.11.13-slim-bookworm@sha256:...). The builder and the
# runtime use the same base, so the venv's interpreter path (/usr/local/bin/python3.11) exists at run time.

# uv itself, from its official image (same version as the Makefile's UV_VERSION).
FROM ghcr.io/astral-sh/uv:0.13.9 AS uv

FROM python:3.11.13-slim-bookworm AS builder

SHELL ["/bin/bash", "-o", "pipefail", "-c"]

COPY --from=uv /uv /usr/local/bin/uv

# uv syncs exactly what uv.lock pins (--frozen), without the dev group, into /opt/venv.
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PROJECT_ENVIRONMENT=/opt/venv

WORKDIR /app

# Dependencies first (their layer survives source edits), then the project itself.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project

COPY soccerpredict ./soccerpredict
COPY components ./components
COPY pipelines ./pipelines
COPY serving ./serving
COPY conf ./conf
COPY params.yaml dvc.yaml ./
# Editable install: the package finds conf/ beside it (soccerpredict/params.py), and /app is copied as is below.
RUN uv sync --frozen --no-dev

FROM python:3.11.13-slim-bookworm

SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# libgomp1: OpenMP runtime of xgboost.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgomp1 \
    && apt-get clean \
    && rm -rf /var/lib/apt/lists/*

# A fixed, numeric, non-root user (Kubernetes runAsNonRoot can only verify numeric users).
# /gcs, /minio and /s3 are where the KFP v2 launcher puts artifacts: create them for that user.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /home/app --create-home --shell /usr/sbin/nologin app \
    && mkdir -p /var/lib/soccerpredict /gcs /minio /s3 \
    && chown app:app /var/lib/soccerpredict /gcs /minio /s3

COPY --from=builder /opt/venv /opt/venv
COPY --from=builder /app /app
COPY docker/healthcheck.py /usr/local/bin/soccerpredict-healthcheck

ENV PATH=/opt/venv/bin:$PATH \
    VIRTUAL_ENV=/opt/venv \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    SOCCER_HOME=/var/lib/soccerpredict \
    MPLCONFIGDIR=/tmp/matplotlib \
    XDG_CACHE_HOME=/tmp/.cache

WORKDIR /app
USER 10001:10001

# 8000 facade, 8080 predictor (v2), 9808 worker /metrics, 5000 MLflow: which one depends on the command.
EXPOSE 8000 8080 9808 5000

# Docker only (Kubernetes uses the probes in manifests/): healthy when the service of this container answers.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "/usr/local/bin/soccerpredict-healthcheck"]

ENTRYPOINT ["soccerpredict"]
CMD ["--help"]
