#!/usr/bin/env bash
# Finds or starts what the test suite needs beyond Python packages: PostgreSQL at 127.0.0.1:5432 and Debian's
# chromium (headless browser test). Missing pieces are reported; the tests that need them then skip with a reason,
# except under CI=true where a missing service is an error.
set -u
ok=1
if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && ls /etc/postgresql >/dev/null 2>&1; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start 2>/dev/null || true
    for _ in $(seq 1 20); do pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null && break; sleep 0.5; done
  fi
fi
pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null || { echo "test_services: PostgreSQL is not reachable at 127.0.0.1:5432"; ok=0; }
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || echo "test_services: could not install chromium"
  fi
fi
command -v chromium >/dev/null 2>&1 || { echo "test_services: chromium not found"; ok=0; }
if [ "$ok" = 0 ] && [ "${CI:-}" = "true" ]; then exit 1; fi
exit 0
