"""Checks a campaign passes before anything is created (studies, MLflow runs, the lease): each failure is one
line, in seconds, instead of a silent hang or minutes of retries.

* :func:`check_resources`: a trial's request (``cpus_per_trial``, ``gpus_per_trial``) must fit on one node of the
  Ray cluster; Tune would otherwise keep the trial PENDING for ever without a word.
* :func:`probe_tracking`: an HTTP(S) MLflow tracking server must answer one request within a few seconds; MLflow's
  own client retries for minutes.
"""

from __future__ import annotations

import os
from typing import Any

from netspace.errors import CampaignError, StorageError
from netspace.platform.redact import one_line, redact

PROBE_TIMEOUT_S = float(os.environ.get("NETSPACE_TRACKING_PROBE_S") or 5)


_PASSED: dict[tuple, float] = {}  # checks passed in this process (the CLI runs them before the heavy imports)
MEMO_S = 120.0


def preflight(spec, address: str | None) -> None:
    """Every check, cheapest first; a check this process passed in the last :data:`MEMO_S` is not repeated."""
    import time

    key = (spec.mlflow.tracking_uri, spec.resources.cpus_per_trial, spec.resources.gpus_per_trial, address)
    if time.monotonic() - _PASSED.get(key, -1e9) < MEMO_S:
        return
    probe_tracking(spec.mlflow.tracking_uri)
    check_resources(spec.resources.cpus_per_trial, spec.resources.gpus_per_trial, node_resources(address),
                    where=address or "this machine")
    _PASSED[key] = time.monotonic()


# -- resources ----------------------------------------------------------------------------------------
def node_resources(address: str | None) -> list[dict[str, float]]:
    """``[{"CPU": n, "GPU": m}, ...]`` of each live node: from the connected Ray when there is one (joining
    ``address`` first), else what a local Ray started by netspace would offer (every CPU, every visible GPU)."""
    import sys

    if address:
        from netspace.platform.campaign.scheduler import ensure_ray

        ensure_ray(address)  # joins once; the driver reuses the connection
    ray = sys.modules.get("ray")  # not imported: not initialised either (and importing it costs seconds)
    if ray is not None and ray.is_initialized():
        return [{k: float(v) for k, v in n.get("Resources", {}).items() if k in ("CPU", "GPU")}
                for n in ray.nodes() if n.get("Alive")]
    return [{"CPU": float(os.cpu_count() or 1), "GPU": float(local_gpus())}]


def local_gpus() -> int:
    """GPUs a local Ray would detect (``CUDA_VISIBLE_DEVICES`` respected)."""
    try:
        import torch

        return int(torch.cuda.device_count())
    except Exception:  # no CUDA build, broken driver: no GPU to offer
        return 0


def check_resources(cpus_per_trial: float, gpus_per_trial: float, nodes: list[dict[str, Any]], *,
                    where: str = "the cluster") -> None:
    """One :class:`CampaignError` line when no single node can hold one trial."""
    if not nodes:
        raise CampaignError(f"the Ray cluster at {where} has no live node")
    for key, want, unit in (("cpus_per_trial", cpus_per_trial, "CPU"), ("gpus_per_trial", gpus_per_trial, "GPU")):
        if not want:
            continue
        best = max(float(n.get(unit, 0) or 0) for n in nodes)
        if want > best + 1e-9:
            if best == 0:
                raise CampaignError(f"{key} {want:g} cannot be met: no node of {where} has a {unit}; set "
                                    f"resources.{key} to 0" + (" or run on a machine with a GPU" if unit == "GPU"
                                                                else ""))
            raise CampaignError(f"{key} {want:g} exceeds the largest node, {best:g} {unit}s ({where}); lower "
                                f"resources.{key} in the campaign file")


# -- tracking server ----------------------------------------------------------------------------------
def probe_tracking(uri: str, timeout_s: float = PROBE_TIMEOUT_S) -> None:
    """One MLflow API request (``experiments/search``, with the credentials MLflow would send) to an HTTP(S)
    tracking server. No answer, or credentials refused (401/403), is one :class:`StorageError` line with every
    secret masked, also ones the server echoes back; any other answer counts as alive. Other URIs (files,
    databases: see :func:`~netspace.platform.tracking.tracker.check_tracking`) pass."""
    if not uri.lower().startswith(("http://", "https://")):
        return
    import base64
    import urllib.error
    import urllib.request
    from urllib.parse import unquote, urlsplit, urlunsplit

    parts = urlsplit(uri)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    url = urlunsplit((parts.scheme, netloc, parts.path.rstrip("/") + "/api/2.0/mlflow/experiments/search",
                      "max_results=1", ""))
    headers = {}
    user, pw = os.environ.get("MLFLOW_TRACKING_USERNAME"), os.environ.get("MLFLOW_TRACKING_PASSWORD")
    if "@" in parts.netloc and ":" in parts.netloc.rsplit("@", 1)[0]:
        user, pw = (unquote(x) for x in parts.netloc.rsplit("@", 1)[0].split(":", 1))
    if os.environ.get("MLFLOW_TRACKING_TOKEN"):
        headers["Authorization"] = f"Bearer {os.environ['MLFLOW_TRACKING_TOKEN']}"
    elif user and pw:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{user}:{pw}".encode()).decode()
    shown = redact(uri, uri)
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout_s):
            return
    except urllib.error.HTTPError as exc:
        if exc.code not in (401, 403):
            return  # it answered; anything else surfaces later as one line
        try:
            body = exc.read(2000).decode("utf-8", "replace")
        except Exception:
            body = ""
        raise StorageError(f"MLflow tracking server {shown} refused the credentials (HTTP {exc.code}: "
                           f"{redact(one_line(body or exc.reason, 200), uri)}); set MLFLOW_TRACKING_TOKEN or "
                           "MLFLOW_TRACKING_USERNAME/PASSWORD (nothing was created)") from None
    except Exception as exc:
        reason = getattr(exc, "reason", None) or exc
        if isinstance(reason, TimeoutError) or "timed out" in str(reason):
            reason = f"no answer within {timeout_s:g} s"
        raise StorageError(f"MLflow tracking server {shown} is unreachable ({redact(one_line(reason), uri)}); "
                           "start it, or set mlflow.tracking_uri in the campaign file (nothing was created)") from None
