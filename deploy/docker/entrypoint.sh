#!/bin/sh
# The image's entrypoint: `orderflow <service>` runs that service's process in the foreground.
# `exec` makes node PID 1, so the orchestrator's SIGTERM reaches the service's graceful stop
# (no new connections, requests in flight answered, consumers stopped) directly.
set -eu

usage() {
  echo "usage: orderflow <service>   (ingress | order | fulfillment | notification | outbound-dispatch | console | gateway)" >&2
}

service=${1:-help}
case "$service" in
  ingress | order | fulfillment | notification | outbound-dispatch | console)
    shift
    exec node "/app/services/$service/dist/main.js" "$@"
    ;;
  gateway)
    # The one origin in front of the others (Compose): routes by path as the Kubernetes Ingress.
    shift
    exec node /app/services/console/dist/gateway-main.js "$@"
    ;;
  help | -h | --help)
    usage
    exit 0
    ;;
  *)
    echo "orderflow: unknown service '$service'" >&2
    usage
    exit 64
    ;;
esac
