"""A promoted trial's network: rebuilt from its design-space config and dataset, with its final weights loaded."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from netspace.platform.tracking.candidates import Candidate, PromotionError


def trial_resolution(cand: Candidate) -> int | None:
    """The input resolution the trial sampled (its config's ``resolution`` key), None when it trained at the
    dataset's own."""
    from netspace.search_spaces.resolution import split_resolution

    config = cand.user_attrs.get("config")
    return split_resolution(config)[1] if isinstance(config, Mapping) else None


def build_trained_model(cand: Candidate):
    """The trial's network with its final weights loaded, in eval mode on the CPU; plus its DatasetInfo and spec.
    A trial that sampled its resolution is built at that resolution (:func:`trial_resolution`)."""
    import torch

    from netspace.search_spaces import Geometry, get_space, space_of_study
    from netspace.search_spaces.resolution import ResolutionSpace, at_resolution, split_resolution
    from netspace.workers import DatasetSpec, dataset_info

    weights = weights_file(cand)
    dataset_attrs = cand.user_attrs.get("dataset")
    if not isinstance(dataset_attrs, Mapping):
        raise PromotionError(f"trial {cand.label} does not record its dataset (user attr 'dataset')")
    dataset = DatasetSpec(**dataset_attrs)
    info = dataset_info(dataset)
    # the study's registered space (restricted when the study is a derived space); cand.space is its label
    space = space_of_study(cand.study_attrs) if cand.study_attrs.get("space") else get_space(cand.space)
    if isinstance(space, ResolutionSpace):
        space = space.base  # the resolution is applied below, from the trial's own config
    params = {k: v for k, v in cand.params.items() if k != "resolution"}
    raw, _ = split_resolution(cand.user_attrs.get("config") or {})
    config = space.config_from_dict(raw) if raw else space.config_from_params(params)
    model = space.build(config, at_resolution(Geometry.of(info), trial_resolution(cand)))
    try:
        state = torch.load(weights, map_location="cpu", weights_only=True)
        if isinstance(state, Mapping) and "model" in state and not any(k.endswith(".weight") for k in state):
            state = state["model"]
        model.load_state_dict(state)
    except Exception as exc:
        raise PromotionError(f"weights at {weights} do not fit trial {cand.label}'s network: "
                             f"{_one_line(exc)[:200]}") from exc
    return model.eval(), info, dataset


def weights_file(cand: Candidate) -> str:
    weights = cand.user_attrs.get("weights_path")
    if not weights:
        raise PromotionError(f"trial {cand.label} of campaign '{cand.campaign}' has no weights (weights_path unset)")
    if not Path(weights).is_file():
        raise PromotionError(f"weights of trial {cand.label} not found at {weights} "
                             "(run promote where the campaign's run directory is mounted)")
    return str(weights)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())
