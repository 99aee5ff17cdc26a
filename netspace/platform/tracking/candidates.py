"""Which finished trials to promote: the candidates a campaign's storage holds (read through the storage adapter)
and the pure choice among them (the named trial, the best, the top k) and the "not worse" check of an alias."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from netspace.errors import CampaignError, NetspaceError


class PromotionError(NetspaceError, ValueError):
    """A trial that cannot be promoted (unknown, unfinished, without weights)."""


@dataclass(frozen=True)
class Candidate:
    """A finished trial of a campaign, as stored by the engine."""

    campaign: str
    space: str
    number: int
    top1_err: float
    user_attrs: Mapping[str, Any]
    params: Mapping[str, Any]
    study_attrs: Mapping[str, Any]
    #: which error ``top1_err`` is, when it is not the trial's own (a finalized mean: netspace finalize)
    figure: str = ""

    @property
    def key(self) -> str:
        return f"{self.campaign}::{self.space}:{self.number}"

    @property
    def label(self) -> str:
        """The trial id users see and type: ``space#number``."""
        return f"{self.space}#{self.number}"


def load_candidates(storage_url: str, campaign: str, *, space: str | None = None
                    ) -> tuple[list[Candidate], dict[str, Any]]:
    """The finished trials of ``campaign`` (optionally of one ``space``) and the campaign's study attrs: those of its
    first study that holds the campaign spec (a population study; ``NAME::final`` holds none)."""
    from netspace.platform.storage.database import completed_trials

    studies = completed_trials(storage_url, campaign)
    if space is not None:
        if space not in studies:
            raise CampaignError(f"campaign '{campaign}' has no space '{space}' (it has: {', '.join(sorted(studies))})")
        studies = {space: studies[space]}
    out: list[Candidate] = []
    first_attrs: dict[str, Any] = {}
    for space_name, (attrs, trials) in sorted(studies.items()):
        if "spec" in attrs and "spec" not in first_attrs:
            first_attrs = attrs
        first_attrs = first_attrs or attrs
        for t in trials:
            if not t.values or t.user_attrs.get("status", "completed") != "completed":
                continue
            out.append(Candidate(campaign=campaign, space=space_name, number=t.number, top1_err=float(t.values[0]),
                                 user_attrs=dict(t.user_attrs), params=dict(t.params), study_attrs=attrs))
    return out, first_attrs


def select(candidates: list[Candidate], campaign: str, *, trial_number: int | str | None = None,
           top_k: int | None = None, space: str | None = None) -> list[Candidate]:
    """The trial(s) to promote: the one named, the ``top_k`` best, or the best one."""
    if trial_number is not None:
        want_space, number = _parse_trial_id(trial_number, space)
        matches = [c for c in candidates if c.number == number and (want_space is None or c.space == want_space)]
        if len(matches) > 1:
            spaces = ", ".join(c.label for c in matches)
            raise PromotionError(f"trial {number} is ambiguous in campaign '{campaign}': use one of {spaces}")
        if not matches:
            where = f"{want_space}#{number}" if want_space else str(number)
            raise PromotionError(f"campaign '{campaign}' has no finished trial {where}")
        return matches
    if not candidates:
        where = f" in space '{space}'" if space else ""
        raise PromotionError(f"campaign '{campaign}' has no finished trial{where} yet")
    ranked = sorted(candidates, key=lambda c: (c.top1_err, c.space, c.number))
    return ranked[: (top_k or 1)]


def _parse_trial_id(trial: int | str, space: str | None) -> tuple[str | None, int]:
    """``N``, ``space#N`` or the older ``space:N``."""
    text = str(trial).strip()
    trial_space, _, num = text.rpartition("#") if "#" in text else text.rpartition(":")
    if trial_space and space and trial_space != space:
        raise PromotionError(f"trial '{text}' is not in space '{space}'")
    try:
        number = int(num)
    except ValueError:
        raise PromotionError(f"trial must be a number or 'space#number', got '{text}'") from None
    return (trial_space or space or None), number


def check_not_worse(alias: str, current: Any, cand: Candidate, registered: Any | None) -> None:
    """Raise :class:`PromotionError` when ``cand`` has a higher top-1 error than the version ``alias`` names
    (``current`` and ``registered``: :class:`~netspace.platform.tracking.model_registry.RegisteredVersion`)."""
    if registered is not None and registered.version == current.version:
        return
    try:
        current_err = float(current.tags["netspace.top1_err"])
    except (KeyError, ValueError):
        return  # not a netspace version: nothing to compare with
    if cand.top1_err > current_err:
        who = (f"{current.tags['netspace.space']}#{current.tags['netspace.trial']}"
               if "netspace.space" in current.tags else f"v{current.version}")
        raise PromotionError(f"@{alias} is {who} v{current.version} (top-1 error {current_err:.2f}%); "
                             f"{cand.label} is worse ({cand.top1_err:.2f}%): pass --force to move it")
