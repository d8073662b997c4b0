#!/usr/bin/env bash
# Start PostgreSQL, Redis, RabbitMQ and the Docker engine when they are down, and create what CI uses of them:
# its own database, RabbitMQ vhost; Redis db numbers are chosen by the tests' settings.
set -euo pipefail

wait_for() {  # wait_for NAME SECONDS COMMAND...
  local name=$1 seconds=$2; shift 2
  for _ in $(seq 1 "$seconds"); do "$@" >/dev/null 2>&1 && return 0; sleep 1; done
  echo "ci: $name did not become ready in ${seconds}s" >&2; return 1
}

if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  echo "ci: starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
  wait_for PostgreSQL 30 pg_isready -h 127.0.0.1 -p 5432 -q
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "ci: starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_for Redis 10 redis-cli -h 127.0.0.1 -p 6379 ping
fi
if ! (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; then
  echo "ci: starting RabbitMQ"
  rabbitmq-server -detached
  wait_for RabbitMQ 60 bash -c 'exec 3<>/dev/tcp/127.0.0.1/5672'
fi

if ! docker info >/dev/null 2>&1; then
  command -v dockerd >/dev/null 2>&1 || { echo "ci: dockerd is missing: make system-deps" >&2; exit 1; }
  echo "ci: starting the Docker engine"
  mkdir -p /var/log
  nohup dockerd >/var/log/dockerd.log 2>&1 &
  wait_for "Docker engine" 60 docker info
fi

CI_DB=${SOCCER_CI_DB:-soccerpredict_ci}
if ! psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$CI_DB'" | grep -q 1; then
  psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE $CI_DB"
fi
CI_VHOST=${SOCCER_CI_VHOST:-soccerpredict_ci}
if command -v rabbitmqctl >/dev/null 2>&1; then
  wait_for "RabbitMQ management" 60 rabbitmqctl -q status
  rabbitmqctl -q list_vhosts | grep -qx "$CI_VHOST" || rabbitmqctl -q add_vhost "$CI_VHOST"
  rabbitmqctl -q set_permissions -p "$CI_VHOST" guest ".*" ".*" ".*"
fi
echo "ci: services ready (database $CI_DB, vhost $CI_VHOST)"
