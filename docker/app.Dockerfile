# The SoccerPredict project image: one image for the KServe predictor, the FastAPI facade, the Celery
# workers, the MLflow tracking server and every KFP component (soccerpredict/image.py names it).
#
#   make image        # picks the base, tags <version>-<source digest>, prints the reference
#
# One Dockerfile, two bases (BASE_IMAGE):
# - public: python:3.11.13-slim-bookworm from Docker Hub (pin it by digest too when you publish);
# - offline: a Debian bookworm root file system built by debootstrap from Debian's package registry and
#   imported with `docker import` (docker/base-image.sh), for machines that reach no container registry.
#   Its Python is Debian's 3.11 at /usr/bin/python3.11.
# Builds with the classic builder (no BuildKit needed). uv comes from PyPI, not from uv's image.
# The builder and the runtime start from the same base, so the venv's interpreter path exists at run time.
ARG BASE_IMAGE=python:3.11.13-slim-bookworm

FROM ${BASE_IMAGE} AS builder

SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# The build machine's CA bundle (`make image` copies it into the context): TLS to PyPI goes through it on
# machines whose traffic is re-signed. Only this stage sees it; the final stage copies /opt/venv and /app only
# (tests/container/test_project_image.py checks that no layer of the final image holds it).
COPY docker/build-ca.crt /tmp/build-ca.crt
ENV SSL_CERT_FILE=/tmp/build-ca.crt \
    PIP_CERT=/tmp/build-ca.crt \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

# uv from PyPI (same version as the Makefile's UV_VERSION), in a venv of its own.
ARG UV_VERSION=0.13.9
RUN python3 -m venv /opt/uv && /opt/uv/bin/pip install --quiet "uv==${UV_VERSION}"

# uv syncs exactly what uv.lock pins (--frozen), without the dev group, into /opt/venv.
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_NATIVE_TLS=1 \
    UV_NO_CACHE=1 \
    UV_PROJECT_ENVIRONMENT=/opt/venv

WORKDIR /app

# Dependencies first (their layer survives source and README edits), then the project itself.
COPY pyproject.toml uv.lock ./
RUN /opt/uv/bin/uv sync --frozen --no-dev --no-install-project --python "$(command -v python3.11)"

COPY README.md ./
COPY soccerpredict ./soccerpredict
COPY components ./components
COPY pipelines ./pipelines
COPY serving ./serving
COPY conf ./conf
COPY data/sample ./data/sample
COPY params.yaml dvc.yaml ./
# Editable install: the package finds conf/ beside it (soccerpredict/params.py), and /app is copied as is below.
RUN /opt/uv/bin/uv sync --frozen --no-dev --python "$(command -v python3.11)"

FROM ${BASE_IMAGE}

SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# libgomp1: OpenMP runtime of xgboost (the offline base has it already: debootstrap --include).
RUN if ! dpkg -s libgomp1 >/dev/null 2>&1; then \
        apt-get update \
        && apt-get install -y --no-install-recommends libgomp1 \
        && apt-get clean \
        && rm -rf /var/lib/apt/lists/*; \
    fi

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
    SOCCER_BIND_HOST=0.0.0.0 \
    MPLCONFIGDIR=/tmp/matplotlib \
    XDG_CACHE_HOME=/tmp/.cache

# What the image was built from: `make image` passes the project version, the source digest and the commit.
ARG VERSION=unknown
ARG SOURCE_DIGEST=unknown
ARG VCS_REF=unknown
LABEL org.opencontainers.image.title="soccerpredict" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${VCS_REF}" \
      io.soccerpredict.source-digest="${SOURCE_DIGEST}"

WORKDIR /app
USER 10001:10001

# 8000 facade, 8080 predictor (v2 REST), 8081 predictor (v2 gRPC), 9808 worker /metrics, 5000 MLflow.
# The servers bind SOCCER_BIND_HOST: 0.0.0.0 above, since loopback in a container is unreachable from outside.
EXPOSE 8000 8080 8081 9808 5000

# Docker only (Kubernetes uses the probes in manifests/): healthy when the service of this container answers.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "/usr/local/bin/soccerpredict-healthcheck"]

# No ENTRYPOINT: Kubernetes' `command:` replaces it anyway, but kfp's DockerRunner passes a component's command
# as the container's arguments, which an entrypoint would swallow. Run the CLI as `docker run IMAGE soccerpredict ...`.
CMD ["soccerpredict", "--help"]
