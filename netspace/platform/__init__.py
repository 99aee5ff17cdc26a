"""The platform: campaigns (``campaign``), storage (``storage``), MLflow tracking and registry (``tracking``) and
population analysis with reports (``analysis``).

Names are imported lazily, so ``import netspace.platform.analysis`` stays light.

>>> from netspace.platform import load_campaign, run_campaign, resume_campaign, campaign_status  # doctest: +SKIP
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "CampaignSpec": "netspace.platform.campaign.spec",
    "load_campaign": "netspace.platform.campaign.spec",
    "parse_campaign": "netspace.platform.campaign.spec",
    "RunSummary": "netspace.platform.campaign.run",
    "run_campaign": "netspace.platform.campaign.run",
    "resume_campaign": "netspace.platform.campaign.run",
    "campaign_status": "netspace.platform.campaign.state",
    "list_campaigns": "netspace.platform.storage.results",
    "mask_secrets": "netspace.platform.storage.urls",
    "promote": "netspace.platform.tracking.promote",
    "build_report": "netspace.platform.reporting.report",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'netspace.platform' has no attribute {name!r}")
