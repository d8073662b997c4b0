#!/usr/bin/env bash
# Build the project image (docker/app.Dockerfile) and the Airflow image (docker/airflow.Dockerfile), tagged
# from soccerpredict/image.py (<version>-<source digest>), and print their references.
#
#   bash docker/build.sh [app] [airflow]        # default: both; `make image` runs this
#
# The base: $BASE_IMAGE when set; else the public python:3.11 slim image when a registry answers; else the
# offline base that docker/base-image.sh builds from Debian's package registry. The build machine's CA bundle
# ($BUILD_CA_BUNDLE, default the system one) is copied into the context for the builder stages only.
# The classic builder is used (DOCKER_BUILDKIT=0): Debian's docker CLI has no buildx.
set -euo pipefail
cd "$(dirname "$0")/.."

public_base=python:3.11.13-slim-bookworm
offline_base=soccerpredict/base:bookworm-py311
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(app airflow)

docker info >/dev/null 2>&1 || {
  echo "image: no Docker engine answers (start dockerd, or see docs/deploy.md)" >&2
  exit 1
}
python=${PYTHON:-python3}
ref=$("$python" -m soccerpredict.image)
airflow_ref=$("$python" -m soccerpredict.image --airflow)
version=$("$python" -m soccerpredict.image --tag)
version=${version%-*}
digest=$("$python" -m soccerpredict.image --digest)
vcs_ref=$(git rev-parse HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain 2>/dev/null | head -n1)" ]; then vcs_ref="$vcs_ref-dirty"; fi

base=${BASE_IMAGE:-}
if [ -z "$base" ]; then
  if docker image inspect "$public_base" >/dev/null 2>&1 || timeout 60 docker pull -q "$public_base" >/dev/null 2>&1; then
    base=$public_base
  else
    echo "image: no registry answers for $public_base; building from the offline base $offline_base"
    bash docker/base-image.sh "$offline_base"
    base=$offline_base
  fi
fi

ca=${BUILD_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
[ -r "$ca" ] || { echo "image: CA bundle $ca not readable (set BUILD_CA_BUNDLE)" >&2; exit 1; }
cp "$ca" docker/build-ca.crt
trap 'rm -f docker/build-ca.crt' EXIT

build() {  # build DOCKERFILE REF [--build-arg ...]
  local start=$SECONDS dockerfile=$1 image=$2
  shift 2
  echo "image: building $image from $dockerfile on $base"
  DOCKER_BUILDKIT=0 docker build --quiet -f "$dockerfile" -t "$image" \
    --build-arg BASE_IMAGE="$base" --build-arg VERSION="$version" \
    --build-arg SOURCE_DIGEST="$digest" --build-arg VCS_REF="$vcs_ref" "$@" . >/dev/null
  local size
  size=$(docker image inspect -f '{{.Size}}' "$image")
  echo "image: built $image in $((SECONDS - start)) s ($((size / 1000000)) MB)"
}
for target in "${targets[@]}"; do
  case $target in
    app) build docker/app.Dockerfile "$ref" ;;
    airflow)
      # The Airflow image carries the project image's environment: build that first when it is not there.
      docker image inspect "$ref" >/dev/null 2>&1 || build docker/app.Dockerfile "$ref"
      build docker/airflow.Dockerfile "$airflow_ref" --build-arg PROJECT_IMAGE="$ref" ;;
    *) echo "image: unknown target $target (app, airflow)" >&2; exit 2 ;;
  esac
done
