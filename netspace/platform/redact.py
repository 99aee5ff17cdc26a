"""Masking of secrets a server echoes back: :func:`~netspace.platform.storage.urls.mask_secrets` masks what looks
like a credential (``user:pw@``, ``token=``…); a server's error body may repeat the *value* alone (``invalid
token abc123``). :func:`redact` also replaces every known secret value (from the URIs in use and the MLflow
credential variables) wherever it appears, plain or URL-encoded. Pure string functions."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from netspace.platform.storage.urls import MASK, mask_secrets

#: environment variables whose values are credentials MLflow or the databases send
SECRET_ENV = ("MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_PASSWORD", "DATABRICKS_TOKEN", "PGPASSWORD",
              "AWS_SECRET_ACCESS_KEY")
_SECRET_KEY = re.compile(r"(?i)(password|passwd|secret|token|api[_\-]?key|pwd|pass)$")
MIN_LEN = 4  # shorter values would mask ordinary words


def secret_values(*uris: str | None, env: Mapping[str, str] | None = None) -> set[str]:
    """The credential values held by ``uris`` (password, secret query parameters) and the secret variables."""
    variables: Mapping[str, str] = os.environ if env is None else env
    out = {variables[k] for k in SECRET_ENV if variables.get(k)}
    for uri in uris:
        if not uri or "://" not in uri:
            continue
        try:
            parts = urlsplit(uri)
            netloc = parts.netloc
        except ValueError:
            continue
        if "@" in netloc:
            userinfo = netloc.rsplit("@", 1)[0]
            if ":" in userinfo:
                out.add(unquote(userinfo.split(":", 1)[1]))
        for key, value in parse_qsl(parts.query, keep_blank_values=False):
            if _SECRET_KEY.search(key):
                out.add(value)
    return {v for v in out if len(v) >= MIN_LEN}


def redact(text: object, *uris: str | None) -> str:
    """``text`` with credentials masked: by shape (:func:`mask_secrets`) and by value (:func:`secret_values`)."""
    out = "" if text is None else str(text)
    for value in sorted(secret_values(*uris), key=len, reverse=True):
        for form in {value, quote(value, safe=""), quote(value)}:
            out = out.replace(form, MASK)
    return mask_secrets(out)


def one_line(text: object, limit: int = 300) -> str:
    """``text`` on one line, cut at a word boundary to about ``limit`` characters (``…`` marks the cut)."""
    s = " ".join(str(text).split())
    if len(s) <= limit:
        return s
    cut = s[:limit]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit * 0.6 else cut) + "…"
