"""The compare and refine panels under Streamlit's AppTest on a real populated SQLite storage."""

import pytest
import yaml
from streamlit.testing.v1 import AppTest

from netspace.dashboard.demo import populate


@pytest.fixture(scope="module")
def refine_storage(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('panels') / 'campaigns.db'}"
    populate(url, "panels", ("regnetx", "regnetx_c", "anynetx_a"), n=24, running=1, failed=0, seed=5)
    return url


def _app(panel: str, url: str) -> AppTest:
    def script(url, panel):
        import importlib

        from netspace.platform.storage.results import load_trials, study_attrs

        mod = importlib.import_module(f"netspace.dashboard.panels.{panel}")
        mod.render(load_trials(url, "panels"), "panels", study_attrs(url, "panels"))

    return AppTest.from_function(script, args=(url, panel), default_timeout=60)


def test_compare_panel_shows_verdicts(refine_storage):
    at = _app("compare", refine_storage).run()
    assert not at.exception
    table = at.dataframe[0].value
    assert len(table) == 3 and set(table["a"]) | set(table["b"]) == {"regnetx", "regnetx_c", "anynetx_a"}
    assert table["p-value"].between(0, 1).all()
    texts = " ".join(m.value for m in at.markdown)
    assert "regnetx vs regnetx_c" in texts and any(w in texts for w in ("better than", "no detectable difference",
                                                                        "distributions differ", "medians differ"))
    assert table["adjusted p"].between(0, 1).all()
    at.selectbox(key="cmp_normalize").set_value("normalized by flops").run()
    assert not at.exception
    assert "permutation" in " ".join(c.value for c in at.caption)
    at.number_input(key="cmp_bins").set_value(40).run()
    assert at.warning, "24 models per space in 40 bins leave bins empty: the panel must say they were pooled"


def test_refine_panel_yaml_is_a_valid_space_entry(refine_storage):
    at = _app("refine", refine_storage).run()
    assert not at.exception
    at.selectbox(key="refine_space").set_value("regnetx_c").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert {"d", "w0", "wa", "wm", "b", "g"} <= set(table["parameter"])  # and derived features (total_depth, ...)
    assert set(table.loc[table["kind"] == "derived", "parameter"]) >= {"total_depth", "width_ratio_1"}
    code = at.code[0]
    assert code.language == "yaml"
    entry = yaml.safe_load("spaces:\n" + code.value)["spaces"][0]
    assert entry["label"] == "regnetx_c-r1" and entry["space"] == "regnetx_c"
    from netspace.platform.campaign.spec import parse_campaign

    spec = parse_campaign({"name": "panels", "spaces": [{"space": "regnetx_c", "samples": 4}, entry]})
    assert spec.spaces[1].key == "regnetx_c-r1"


def test_trials_overlay_curves_and_compare_three_configs_side_by_side(refine_storage):
    def script(url):
        from netspace.dashboard import view
        from netspace.dashboard.panels import trials

        v = view.load(url, "panels", [], "flops", False)
        rows = trials.table(v)
        assert len(trials.filtered(rows, ["finished"], None, None)) == 72
        assert trials.filtered(rows, ["finished"], float(rows["error"].median()), None)["error"].max() <= rows["error"].median()
        sel = rows[rows["outcome"] == "finished"].nsmallest(4, "error")
        trials.curves(v, sel)
        trials.side_by_side(v, sel.head(trials.MAX_SIDE_BY_SIDE))

    at = AppTest.from_function(script, args=(refine_storage,), default_timeout=60).run()
    assert not at.exception
    import json

    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    assert spec["encoding"]["color"]["field"] == "space" and spec["encoding"]["strokeDash"]["field"] == "trial"
    assert len(spec["encoding"]["strokeDash"]["scale"]["domain"]) == 4
    side = at.dataframe[0].value
    assert len(side.columns) == 3 and {"top-1 error", "FLOPs", "stages"} <= set(side.index)
    assert all("#" in c for c in side.columns)
