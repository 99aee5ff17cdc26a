"""What every section of the page reads: one consistent snapshot of a campaign (loaded through :mod:`.data`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from netspace.dashboard import data
from netspace.platform.analysis import split_references
from netspace.platform.reporting import style


@dataclass
class View:
    url: str
    campaign: str
    ver: str                      # data version: changes when a trial is added or changes state
    counts: pd.DataFrame          # trials per space and state
    running: pd.DataFrame         # running trials with their latest epoch report
    all_spaces: list[str]
    spaces: list[str]             # the chosen ones that have completed trials, in campaign order
    done: pd.DataFrame            # completed trials of the chosen spaces
    attrs: dict[str, dict]        # study user attrs per space
    refs: pd.DataFrame = field(default_factory=pd.DataFrame)  # completed reference presets (drawn as marks)
    colors: dict[str, str] = field(default_factory=dict)
    metric: str = "flops"
    bands: bool = True
    device: str | None = None     # the metric is the runtime measured on several devices: the one shown

    @property
    def by_metric(self) -> pd.DataFrame:
        """The completed trials the complexity sections use: all of them, or those measured on ``device``."""
        return data.on_device(self.done, self.device)

    @property
    def live(self) -> bool:
        return is_live(self.counts, self.attrs)

    @property
    def n_complete(self) -> int:
        return int(self.counts["COMPLETE"].sum()) if "COMPLETE" in self.counts else 0


def is_live(counts: pd.DataFrame, attrs: dict[str, dict]) -> bool:
    """Keep re-reading: trials are running, fewer trials finished than the campaign's targets (between two trials,
    or before the first one), or nothing is known yet (no study, no trial: the campaign is being created). Only a
    campaign that reached its targets with nothing running — or one without targets whose trials all finished — is
    finished."""
    if int(counts.get("RUNNING", pd.Series(dtype=int)).sum()) > 0:
        return True
    finished = sum(int(counts[c].sum()) for c in ("COMPLETE", "FAIL", "PRUNED") if c in counts)
    target = sum(int(a.get("target") or 0) for a in attrs.values())
    if target == 0:
        return finished == 0  # not created yet, or no trial yet: wait for the first one
    return finished < target


def load(url: str, campaign: str, chosen: list[str], metric: str, bands: bool, device: str | None = None) -> View:
    counts, running = data.status(url, campaign)
    ver = data.version(counts)
    attrs = data.study_attrs(url, campaign, ver)
    all_spaces = sorted(set(counts.index) | set(attrs))
    done_all = data.completed(url, campaign, ver)
    chosen = [s for s in (chosen or all_spaces) if s in all_spaces] or all_spaces
    done, refs = split_references(done_all[done_all["space"].isin(chosen)])
    present = set(done["space"])
    populations = [s for s in all_spaces if not attrs.get(s, {}).get("reference")]
    return View(url, campaign, ver, counts, running, all_spaces, [s for s in chosen if s in present], done, attrs,
                refs, style.space_colors(populations), metric, bands, device if metric == style.RUNTIME else None)
