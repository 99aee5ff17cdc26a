"""Addresses of the real services the suite uses."""

from __future__ import annotations

PG_HOST, PG_PORT = "127.0.0.1", 5432
