"""The campaign engine: campaign files, Optuna studies per design space, Ray Tune execution, MLflow tracking.

Names are imported lazily, so ``import netspace.platform.analysis`` stays light.

>>> from netspace.platform import load_campaign, run_campaign, resume_campaign, campaign_status  # doctest: +SKIP
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "CampaignSpec": "netspace.platform.campaign",
    "load_campaign": "netspace.platform.campaign",
    "parse_campaign": "netspace.platform.campaign",
    "RunSummary": "netspace.platform.engine",
    "run_campaign": "netspace.platform.engine",
    "resume_campaign": "netspace.platform.engine",
    "campaign_status": "netspace.platform.state",
    "list_campaigns": "netspace.platform.state",
    "mask_url": "netspace.platform.storage",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'netspace.platform' has no attribute {name!r}")
