"""Small helpers of the dashboard script (kept out of app.py so they can be imported without running it)."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any


def promote_fn():
    """``netspace.platform.tracking.promote.promote`` if that module is importable and has it, else None."""
    try:
        mod = importlib.import_module("netspace.platform.tracking.promote")
    except Exception:
        return None
    fn = getattr(mod, "promote", None)
    return fn if callable(fn) else None


def selectbox(where: Any, label: str, options: Sequence[str], **kwargs: Any) -> str:
    """``where.selectbox(label, options, **kwargs)`` (``where``: ``st``, ``st.sidebar`` or a column) over options
    that are never empty: the chosen option. Typed here because, checking for Python 3.10, mypy cannot resolve the
    ``typing.Never`` of streamlit's empty-options overload, which then matches every call and returns None."""
    return where.selectbox(label, options, **kwargs)
