"""One look for the dashboard and the report: a colour per design space and numbers with their units.

Colours: the Tableau-10 palette assigned in the design-space registry's order (:func:`space_colors`), so a space
keeps its colour in every chart of the dashboard and of ``netspace report`` for the same campaign, and when the
dashboard filters spaces. Numbers: FLOPs as ``400 MF`` / ``4.0 GF``, parameters and activations as ``5.2 M``,
errors as ``12.34 %``, config floats to 3 significant digits.
"""

from __future__ import annotations

import math

PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f",
           "#bab0ac"]  # Tableau 10
MEDIAN_COLOR, BEST_COLOR, POINT_COLOR = "#f28e2b", "#59a14f", "#4e79a7"

COLUMN_NAMES = {
    "space": "design space", "number": "trial", "error": "top-1 error (%)", "top1_err": "top-1 error (%)",
    "flops": "FLOPs", "params": "params", "acts": "activations", "n": "n", "min_error": "min error (%)",
    "median_error": "median error (%)", "ks_vs_first": "KS vs first", "ks_normalized_vs_first": "KS normalized",
    "epoch": "epoch", "epochs": "epochs", "train_loss": "train loss", "images_per_s": "images/s",
    "elapsed_s": "elapsed (s)", "started": "started", "train_time_s": "train time (s)", "config": "config",
    "datetime_start": "started", "importance": "importance", "param": "parameter", "doc": "meaning",
    "stages": "stages (blocks × width)", "inference_ms": "runtime (ms)", "device_name": "device",
}

#: complexity columns in the order the dashboard and the report offer them; ``inference_ms`` is the measured
#: runtime (median ms of a fixed batch on the trial's device, netspace.workers.runtime), grouped by ``device_name``
COMPLEXITY_COLUMNS = ("flops", "params", "acts", "inference_ms")
RUNTIME, DEVICE = "inference_ms", "device_name"
COMPLEXITY_NAMES = {"flops": "FLOPs", "params": "parameters", "acts": "activations", "inference_ms": "runtime"}


def space_colors(spaces) -> dict[str, str]:
    """space -> hex colour: the palette in registry order of the given spaces (pass all of a campaign's spaces,
    not a filtered subset, to keep colours stable)."""
    from netspace.search_spaces.registry import in_registry_order  # loads no space (no torch)

    ordered = in_registry_order(spaces)
    return {s: PALETTE[i % len(PALETTE)] for i, s in enumerate(ordered)}


def _finite(x) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _scaled(x, units) -> str:
    v = _finite(x)
    if v is None:
        return "–"
    for unit, scale in units:
        if abs(v) >= scale:
            s = v / scale
            return f"{s:.0f} {unit}" if abs(s) >= 100 else f"{s:.1f} {unit}"
    unit, scale = units[-1]
    return f"{v / scale:.2g} {unit}"


def fmt_flops(x) -> str:
    """Multiply-adds as ``400 MF``, ``41.3 MF``, ``4.0 GF``."""
    return _scaled(x, (("GF", 1e9), ("MF", 1e6), ("kF", 1e3)))


def fmt_params(x) -> str:
    """Parameter (or activation) counts as ``5.2 M``, ``120 k``."""
    return _scaled(x, (("G", 1e9), ("M", 1e6), ("k", 1e3), ("", 1.0)))


def fmt_ms(x) -> str:
    """A measured runtime: ``3.41 ms``, ``120 ms``."""
    v = _finite(x)
    return "–" if v is None else (f"{v:.0f} ms" if abs(v) >= 100 else f"{v:.3g} ms")


def fmt_tick(x) -> str:
    """A count as an axis tick: ``2M``, ``400M``, ``1.5G``, ``20k`` (no scientific notation, no trailing .0)."""
    v = _finite(x)
    if v is None:
        return ""
    for unit, scale in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3), ("", 1.0)):
        if abs(v) >= scale or unit == "":
            s = v / scale
            return (f"{s:.0f}" if abs(s) >= 100 else f"{s:.3g}") + unit
    return ""  # not reached


def fmt_ms_tick(x) -> str:
    """A runtime axis tick in ms: ``0.5``, ``2``, ``30``."""
    v = _finite(x)
    return "" if v is None else f"{v:.3g}"


def fmt_pct(x, decimals: int = 2) -> str:
    """An error in percent: ``12.34 %``."""
    v = _finite(x)
    return "–" if v is None else f"{v:.{decimals}f} %"


def round_sig(x, digits: int = 3):
    """Floats to ``digits`` significant digits (ints and other values unchanged)."""
    if isinstance(x, float) and math.isfinite(x) and x != 0:
        return round(x, digits - 1 - int(math.floor(math.log10(abs(x)))))
    return x


def fmt_value(v) -> str:
    if isinstance(v, float):
        r = round_sig(v)
        return f"{r:g}" if isinstance(r, float) else str(r)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(fmt_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {fmt_value(x)}" for k, x in v.items()) + "}"
    return str(v)


def fmt_config(config, sep: str = ", ") -> str:
    """A config dict as compact text: ``depths=[1, 2, 4] · wa=27.4`` (floats to 3 significant digits)."""
    if not isinstance(config, dict):
        return ""
    return sep.join(f"{k}={fmt_value(v)}" for k, v in config.items())


def column_label(column: str) -> str:
    """A human column name (``param_w0`` -> ``w0``, ``min_error`` -> ``min error (%)``)."""
    if column.startswith("param_"):
        return column[len("param_"):]
    return COLUMN_NAMES.get(column, column.replace("_", " "))

