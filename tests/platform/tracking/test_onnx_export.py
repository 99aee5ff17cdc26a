"""ONNX export of a network (``netspace promote --onnx``): ONNX Runtime gives PyTorch's outputs, for any batch size,
and the file carries the preprocessing. Skipped when the optional onnx extra is not installed."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


def _tiny_network():
    from netspace.search_spaces import Geometry, Regime, get_space, sample_configs

    space = get_space("regnetx")
    geometry = Geometry(16, 3, 10)
    sample = min(sample_configs(space, 16, seed=0, regime=Regime.parse(":1M"), geometry=geometry),
                 key=lambda s: s.config.depth)
    return space.build(sample.config, geometry).eval()


def test_exported_network_matches_pytorch_on_other_batch_sizes(tmp_path):
    import numpy as np
    import onnx
    import torch

    from netspace.platform.tracking.onnx_export import METADATA_KEY, export_network

    torch.manual_seed(0)
    model = _tiny_network()
    check = export_network(model, torch.randn(4, 3, 16, 16), tmp_path / "net.onnx", metadata={"mean": [0.5]})
    assert check.max_abs_diff is not None and check.max_abs_diff <= 1e-3 and check.same_classes
    assert "onnxruntime matches PyTorch on 4" in check.describe()

    session = ort.InferenceSession(str(tmp_path / "net.onnx"), providers=["CPUExecutionProvider"])
    x = torch.randn(7, 3, 16, 16)  # another batch size than the export's
    got = session.run(["logits"], {"images": x.numpy()})[0]
    with torch.no_grad():
        np.testing.assert_allclose(got, model(x).numpy(), atol=1e-4)
    meta = {p.key: p.value for p in onnx.load(str(tmp_path / "net.onnx")).metadata_props}
    assert json.loads(meta[METADATA_KEY]) == {"mean": [0.5]}
