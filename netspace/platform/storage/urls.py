"""Storage and tracking URLs: defaults, resolution, normalisation and the one credential masker.

Everything netspace prints, stores or shows (errors, ``status``, study attrs, MLflow tags, the dashboard, the
report) passes URLs and messages through :func:`mask_secrets`. Pure string functions, no I/O.
"""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path

ENV_STORAGE = "NETSPACE_STORAGE"
ENV_TRACKING = "MLFLOW_TRACKING_URI"
DEFAULT_STORAGE = "sqlite:///netspace.db"
DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"
SEP = "::"  # study name = f"{campaign}{SEP}{label}"

MASK = "***"
# scheme://… up to the end of the token; the userinfo is everything before the token's *last* '@', so a password
# holding '@' or '/' is masked whole (over-masking a rare '@' in a query is safe, leaking is not)
_URL = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.\-]*://)(?P<rest>[^\s'\"<>`]*)")
# secret-looking keys: anything ending in password/passwd/secret/token/apikey (sslpassword, client_secret,
# access_token, x-api-key ...), plus the short pwd / pass
_SECRET_KEYS = r"[A-Za-z_\-]*(?:password|passwd|secret|token|api[_\-]?key)|pwd|pass"
_QUERY_SECRET = re.compile(rf"(?i)([?&;]\s*(?:{_SECRET_KEYS})=)([^&;\s'\"<>`]*)")
# key=value / key: value / "key": "value" in DSNs, driver messages, dict reprs and JSON (quoted values whole)
_KV_SECRET = re.compile(
    rf"(?i)(\b(?:{_SECRET_KEYS})[\"']?\s*[=:]\s*)(?!\*\*\*|[\"']\*\*\*[\"'])"
    r"('[^']*'|\"[^\"]*\"|[^\s,;&'\"<>`)}\]]+)")
_BEARER = re.compile(r"(?i)(\b(?:bearer|token|basic)\s+)([A-Za-z0-9._~+/=\-]{12,})")


def _kv_mask(m: re.Match) -> str:
    value = m[2]
    quote = value[0] if value[:1] in ("'", '"') else ""
    return f"{m[1]}{quote}{MASK}{quote}"


def _mask_userinfo(m: re.Match) -> str:
    scheme, rest = m["scheme"], m["rest"]
    at = rest.rfind("@")
    if at > 0:
        userinfo, host = rest[:at], rest[at:]
        user, colon, _pw = userinfo.partition(":")
        if colon and "/" not in user:
            rest = f"{user}:{MASK}{host}"
    return scheme + _QUERY_SECRET.sub(rf"\1{MASK}", rest)


def mask_secrets(text: object) -> str:
    """``text`` (a URL or a whole message) with every credential replaced by ``***``.

    Handles ``scheme://user:password@host`` (passwords holding ``@``, ``/`` or ``:`` included), secret query
    parameters (``?password=``, ``&token=``, ``api_key=``…), ``password=…`` in libpq-style DSNs and driver
    messages, and bearer tokens. ``None`` gives ``""``.
    """
    if text is None:
        return ""
    out = _URL.sub(_mask_userinfo, str(text))
    out = _KV_SECRET.sub(_kv_mask, out)
    return _BEARER.sub(rf"\1{MASK}", out)


def absolute_sqlite_url(url: str, base: Path) -> str:
    """``sqlite:///rel.db`` resolved against ``base``; other URLs unchanged."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url[len(prefix):] not in ("", ":memory:"):
        return prefix + str((base / url[len(prefix):]).resolve())
    return url


def sqlite_path(url: str) -> Path | None:
    """The file a ``sqlite:///`` URL names (None for other URLs and in-memory databases)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url[len(prefix):].split("?", 1)[0] in ("", ":memory:"):
        return None
    return Path(url[len(prefix):].split("?", 1)[0])


def require_existing_store(url: str, what: str) -> None:
    """For read-only commands: a one-line :class:`StorageError` when ``url`` names a SQLite file (or a folder
    for it) that does not exist, instead of letting the library create an empty store there."""
    from netspace.errors import StorageError

    path = sqlite_path(url)
    if path is not None and not path.is_file():
        raise StorageError(f"no {what} at {mask_secrets(url)} ({path} does not exist); nothing was created")


def normalize_url(url: str) -> str:
    """``postgresql://`` means psycopg (v3) to SQLAlchemy 2.1; use psycopg2 when that is what is installed."""
    if (url.startswith(("postgresql://", "postgres://")) and importlib.util.find_spec("psycopg") is None
            and importlib.util.find_spec("psycopg2") is not None):
        return "postgresql+psycopg2://" + url.split("://", 1)[1]
    return url


def default_storage() -> str:
    return os.environ.get(ENV_STORAGE) or DEFAULT_STORAGE


def resolve_url(cli_url: str | None = None, spec_url: str | None = None) -> str:
    """The storage URL to use (``--storage`` > campaign file > ``$NETSPACE_STORAGE`` > ``sqlite:///netspace.db``),
    with a relative SQLite path made absolute against the working directory."""
    url = cli_url or spec_url or default_storage()
    return normalize_url(absolute_sqlite_url(url, Path.cwd()))


def resolve_tracking_uri(explicit: str | None = None, campaign_uri: str | None = None,
                         project: Path | None = None) -> str:
    """The MLflow store a command uses, the same way in every command: ``explicit`` (``--tracking-uri``), else
    ``$MLFLOW_TRACKING_URI``, else the campaign's own (``campaign_uri``, its ``mlflow.tracking_uri`` as stored),
    else ``sqlite:///mlflow.db``. A relative SQLite file is made absolute: a stored one against the project
    directory ``project`` (where the campaign storage lives), the others against the working directory."""
    if explicit:
        return absolute_sqlite_url(explicit, Path.cwd())
    env = os.environ.get(ENV_TRACKING)
    if env:
        return absolute_sqlite_url(env, Path.cwd())
    if campaign_uri:
        return absolute_sqlite_url(campaign_uri, project or Path.cwd())
    return absolute_sqlite_url(DEFAULT_TRACKING_URI, Path.cwd())


def store_line(uri: str) -> str:
    """The one line every command prints to say which MLflow store it used (credentials masked)."""
    return f"MLflow store: {mask_secrets(uri)}"


def study_name(campaign: str, label: str) -> str:
    return f"{campaign}{SEP}{label}"


def split_study_name(name: str) -> tuple[str, str] | None:
    """``(campaign, label)`` of a netspace study name, ``None`` for other studies."""
    campaign, sep, label = name.partition(SEP)
    return (campaign, label) if sep and label else None
