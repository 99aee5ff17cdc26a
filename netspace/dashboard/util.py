"""Small helpers of the dashboard script (kept out of app.py so they can be imported without running it)."""

from __future__ import annotations

import importlib


def promote_fn():
    """``netspace.platform.tracking.promote.promote`` if that module is importable and has it, else None."""
    try:
        mod = importlib.import_module("netspace.platform.tracking.promote")
    except Exception:
        return None
    fn = getattr(mod, "promote", None)
    return fn if callable(fn) else None
