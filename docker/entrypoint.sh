#!/bin/sh
# Entry point of the netspace image: refuse to start a Ray process with token authentication on but no token
# (Ray 2.60 would generate a fresh one per container, and nodes could not join), then run the command.
set -eu
case "${1:-}" in
  ray)
    if [ "${RAY_AUTH_MODE:-}" = "token" ] && [ -z "${RAY_AUTH_TOKEN:-}" ] && [ -z "${RAY_AUTH_TOKEN_PATH:-}" ]; then
      echo "netspace-entrypoint: RAY_AUTH_MODE=token needs RAY_AUTH_TOKEN (or RAY_AUTH_TOKEN_PATH); set it in .env" >&2
      exit 64
    fi
    ;;
esac
exec "$@"
