"""Zoo per regime: `regimes:` expands to labelled studies, the best-across-regimes table, and exported presets that
rebuild networks with exactly the trials' complexity (and load back for `references:` / `--preset`)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import yaml

from netspace.errors import CampaignError, NetspaceError
from netspace.platform.analysis.zoo import best_across_regimes, zoo_parameters, zoo_presets
from netspace.platform.campaign.spec import parse_campaign
from netspace.platform.reporting.experiments import plot_best_across_regimes
from netspace.search_spaces import Geometry, Regime, get_preset, get_space, sample_configs
from netspace.search_spaces.preset_files import parse_presets, presets_yaml, register_presets_file
from netspace.search_spaces.regnet import zoo_config
from netspace.search_spaces.resolution import with_resolution

DIGITS = {"resolution": 32, "in_channels": 1, "num_classes": 10}
REGIMES = {"rx.1M-2M": "1M:2M", "rx.2M-4M": "2M:4M", "rx.4M-8M": "4M:8M"}


def _trials(space_name="regnetx", resolutions=None, n=6, seed=0):
    """A synthetic trials DataFrame: n sampled configs per regime (exact complexity), random errors."""
    rng = np.random.default_rng(seed)
    space = with_resolution(get_space(space_name), resolutions)
    rows = []
    for label, regime in REGIMES.items():
        for i, s in enumerate(sample_configs(space, n, seed=seed, regime=Regime.parse(regime), geometry=Geometry(**DIGITS))):
            rows.append({"space": label, "number": i, "outcome": "finished", "reference": False,
                         "error": float(rng.uniform(10, 60)), **s.complexity.as_dict(), "config": s.config.to_dict(),
                         "inference_ms": float(rng.uniform(1, 5))})
    rows.append({**rows[0], "number": 99, "outcome": "failed", "error": 0.0})  # never the best: not finished
    return pd.DataFrame(rows)


def _attrs(space_name="regnetx"):
    return {label: {"space": space_name, "geometry": DIGITS, "regime_of": "rx"} for label in REGIMES}


def test_regimes_expand_to_labelled_studies():
    spec = parse_campaign({"name": "z", "spaces": [
        {"space": "regnetx", "samples": 3, "label": "rx", "regimes": [{"flops": "1M:2M"}, {"flops": "2M:4M"}]},
        {"space": "regnetx", "samples": 3}]})
    assert [(s.key, s.regime_of) for s in spec.spaces] == [("rx.1M-2M", "rx"), ("rx.2M-4M", "rx"), ("regnetx", None)]
    assert spec.spaces[1].regime.to_regime() == Regime.parse("2M:4M")
    with pytest.raises(CampaignError, match="either regime or regimes"):
        parse_campaign({"name": "z", "spaces": [{"space": "regnetx", "samples": 3, "regime": {"flops": "1M:2M"},
                                                 "regimes": [{"flops": "2M:4M"}]}]})
    with pytest.raises(CampaignError, match="listed twice"):
        parse_campaign({"name": "z", "spaces": [{"space": "regnetx", "samples": 3,
                                                 "regimes": [{"flops": "1M:2M"}, {"flops": "1M:2M"}]}]})


def test_best_across_regimes_table():
    df = _trials()
    groups = {label: "rx" for label in REGIMES}
    table = best_across_regimes(df, k=2, groups=groups)
    assert list(table["regime"].unique()) == list(REGIMES)  # ordered by the regimes' FLOPs
    assert table.groupby("regime")["rank"].apply(list).tolist() == [[1, 2]] * 3
    for label, g in table.groupby("regime"):
        fin = df[(df["space"] == label) & (df["outcome"] == "finished")]
        assert g["error"].tolist() == sorted(fin["error"])[:2]
    assert table[["d", "w0", "wa", "wm", "g", "b", "e_fit"]].notna().all().all()
    assert (table["group"] == "rx").all() and (table["e_fit"] >= 0).all()
    fig = plot_best_across_regimes(table)
    assert len([ax for ax in fig.axes if ax.has_data()]) == 7


def test_zoo_parameters_of_regnet_and_anynet_configs():
    p = zoo_parameters(zoo_config("regnetx", "200MF").to_dict())
    assert (p["d"], p["w0"], p["wa"], p["wm"], p["g"], p["b"]) == (13, 24, 36.44, 2.49, 8, 1) and p["e_fit"] < 0.01
    q = zoo_parameters({"depths": [1, 2], "widths": [16, 48], "bottleneck_ratios": [1, 2], "group_widths": [8, 8]})
    assert q["d"] == 3 and math.isnan(q["b"]) and q["g"] == 8
    assert all(math.isnan(v) for v in zoo_parameters({"cardinality": 32}).values())


@pytest.mark.parametrize("space_name, resolutions", [("regnetx", None), ("regnetx_silu", [24, 32]),
                                                     ("regnetx_ib", None)])
def test_exported_presets_rebuild_networks_with_the_trials_complexity(tmp_path, space_name, resolutions):
    df = _trials(space_name, resolutions)
    table = best_across_regimes(df, groups={label: "rx" for label in REGIMES})
    presets = zoo_presets(table, _attrs(space_name), "camp", prefix=f"zoo{space_name}")
    assert [p.name for p in presets] == [f"zoo{space_name}-{label}" for label in REGIMES]
    path = tmp_path / "zoo.yaml"
    path.write_text(presets_yaml(presets))
    loaded = register_presets_file(path)
    for p, row in zip(loaded, table.itertuples(index=False)):
        assert get_preset(p.name) == p
        cx = p.complexity()  # rebuilt from the file, at the trial's resolution
        assert (cx.flops, cx.params, cx.acts) == (row.flops, row.params, row.acts)
        assert p.geometry.resolution == (row.config.get("resolution") or 32)
        model = p.build()
        assert sum(t.numel() for t in model.parameters()) == row.params
    # the file's names are what `references:` accepts
    spec = parse_campaign({"name": "z", "spaces": [{"space": "regnetx", "samples": 1}], "references": [loaded[0].name]})
    assert spec.spaces[-1].space == f"preset:{loaded[0].name}" and spec.spaces[-1].reference


def test_bad_preset_files_fail_with_one_line():
    with pytest.raises(NetspaceError, match=r"presets\[0\]: missing key"):
        parse_presets({"presets": [{"name": "x", "space": "regnetx"}]}, "f.yaml")
    bad = {"presets": [{"name": "x", "space": "regnetx", "config": {**zoo_config("regnetx", "200MF").to_dict(), "wm": 9}}]}
    with pytest.raises(NetspaceError, match=r"f.yaml: presets\[0\] \(x\)"):
        parse_presets(yaml.safe_load(yaml.safe_dump(bad)), "f.yaml")
