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


def fmt_count(x) -> str:
    x = float(x)
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(x) >= scale:
            return f"{x / scale:.3g}{unit}"
    return f"{x:.3g}"
