#!/bin/sh
# PostgreSQL init script (run once by the postgres image on an empty data volume, from
# /docker-entrypoint-initdb.d): one database for the Optuna campaign storage, one for the MLflow backend store.
# Idempotent, so it can also be run by hand against an existing server:
#   PGHOST=... POSTGRES_USER=... OPTUNA_DB=... MLFLOW_DB=... sh docker/postgres/10-netspace-databases.sh
set -eu
: "${POSTGRES_USER:?POSTGRES_USER is not set}"
: "${OPTUNA_DB:?OPTUNA_DB is not set}"
: "${MLFLOW_DB:?MLFLOW_DB is not set}"
for db in "$OPTUNA_DB" "$MLFLOW_DB"; do
  case "$db" in
    *[!A-Za-z0-9_]*|"") echo "invalid database name: '$db' (letters, digits, _)" >&2; exit 1 ;;
  esac
  exists=$(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = '$db'")
  if [ "$exists" = "1" ]; then
    echo "database $db exists"
  else
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres -c "CREATE DATABASE \"$db\" OWNER \"$POSTGRES_USER\""
    echo "created database $db"
  fi
done
