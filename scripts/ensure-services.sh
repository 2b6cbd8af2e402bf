#!/usr/bin/env bash
# Makes sure what the integration tests need is on this machine: PostgreSQL on
# 127.0.0.1:5432, Redis on 127.0.0.1:6379 (started if down), kcat, the librdkafka
# command-line client the broker's conformance tests drive, Debian's Chromium, the
# browser the console's tests drive through playwright-core, and Java 17+ with Maven,
# which fetch and run Apache Kafka (libs/apache-kafka/pom.xml) for the real-Kafka lanes.
set -uo pipefail

wait_until() {
  local what=$1; shift
  for _ in $(seq 1 60); do
    if "$@" >/dev/null 2>&1; then echo "$what: up"; return 0; fi
    sleep 0.5
  done
  echo "$what: still down after 30 s" >&2
  return 1
}

if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  echo "postgres: starting"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start
fi
wait_until postgres pg_isready -h 127.0.0.1 -p 5432 -q || exit 1

if ! redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; then
  echo "redis: starting"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
fi
wait_until redis sh -c 'redis-cli -h 127.0.0.1 -p 6379 ping | grep -q PONG' || exit 1

# Installs a Debian package when its command is missing.
ensure_package() {
  local command=$1 package=$2
  command -v "$command" >/dev/null 2>&1 && return 0
  echo "$command: installing $package from Debian"
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package") >/dev/null || return 1
  else
    echo "$command is missing: sudo apt-get install $package" >&2
    return 1
  fi
}

ensure_package kcat kcat || exit 1
ensure_package chromium chromium || exit 1
ensure_package java openjdk-17-jre-headless || exit 1
ensure_package mvn maven || exit 1
java_major=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
if [ "${java_major:-0}" -lt 17 ] 2>/dev/null; then
  echo "java: Apache Kafka 4 needs Java 17 or newer, found ${java_major:-none} (set JAVA_HOME)" >&2
  exit 1
fi
# The pinned Kafka's jars, into Maven's own cache (~/.m2): downloaded once per machine.
kafka_pom="$(dirname "$0")/../libs/apache-kafka/pom.xml"
if ! resolved=$(mvn -q -B -Dstyle.color=never -f "$kafka_pom" dependency:resolve 2>&1); then
  echo "maven: could not resolve $kafka_pom:" >&2
  echo "$resolved" >&2
  exit 1
fi
echo "kcat: $(kcat -V 2>&1 | grep -o 'librdkafka [0-9.]*')"
echo "chromium: $(chromium --version 2>/dev/null)"
echo "java: $java_major, maven: $(mvn -v -Dstyle.color=never 2>/dev/null | head -n 1 | tr -cd "[:print:]" | sed "s/\[[0-9;]*m//g"), Apache Kafka $(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$kafka_pom") resolved"
