"""ONNX export of a promoted network (``netspace promote ... --onnx FILE``), checked against PyTorch.

The ONNX graph is the bare trained network: input ``images``, float ``(N, C, H, W)`` normalised as in training;
output ``logits`` ``(N, classes)``; the batch size is free. The dataset's preprocessing (mean, std, resolution,
class names) is recorded in the file's metadata (``netspace_preprocessing``, JSON), so a client can normalise its
images. The export is checked on real held-out images: with onnxruntime installed, its outputs must match PyTorch's
(max absolute difference of the logits at most ``ATOL``, same predicted classes); without it the file is checked
with ``onnx.checker`` only, and the check says so. Needs the ``onnx`` extra (``pip install 'netspace[onnx]'``).
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netspace.errors import NetspaceError

ATOL = 1e-3
#: torch.onnx's TorchScript exporter needs onnx (the torch.export-based one also onnxscript, and is 4x slower);
#: onnxruntime (the numerical check) is optional
NEEDED = ("onnx",)
METADATA_KEY = "netspace_preprocessing"


class OnnxExportError(NetspaceError):
    """The network could not be exported, or ONNX Runtime disagrees with PyTorch."""


@dataclass(frozen=True)
class OnnxCheck:
    path: str
    images: int
    max_abs_diff: float | None  # None: onnxruntime is not installed, only onnx.checker ran
    same_classes: bool | None

    def describe(self) -> str:
        if self.max_abs_diff is None:
            return "valid ONNX; onnxruntime not installed, outputs not compared"
        return (f"onnxruntime matches PyTorch on {self.images} held-out images: max |logit diff| "
                f"{self.max_abs_diff:.1e}, same classes")


def require_onnx() -> None:
    missing = [m for m in NEEDED if importlib.util.find_spec(m) is None]
    if missing:
        raise OnnxExportError(f"ONNX export needs {' and '.join(missing)}: pip install 'netspace[onnx]'")


def export_network(model: Any, images: Any, path: str | Path, *, metadata: dict[str, Any] | None = None
                   ) -> OnnxCheck:
    """Export ``model`` (eval mode, CPU) to ``path`` with ``images`` (a normalised float batch) as the example, and
    check the file: against PyTorch's outputs on ``images`` with onnxruntime when it is installed."""
    require_onnx()
    import warnings

    import onnx
    import torch

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    model = model.eval().cpu()
    x = images.float().cpu()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
            torch.onnx.export(model, (x,), str(path), input_names=["images"], output_names=["logits"],
                              dynamic_axes={"images": {0: "batch"}, "logits": {0: "batch"}}, dynamo=False)
    except Exception as exc:
        raise OnnxExportError(f"cannot export the network to ONNX: {' '.join(str(exc).split())[:300]}") from None
    proto = onnx.load(str(path))
    if metadata is not None:
        entry = proto.metadata_props.add()
        entry.key, entry.value = METADATA_KEY, json.dumps(metadata, sort_keys=True)
        onnx.save(proto, str(path))
    onnx.checker.check_model(proto)
    if importlib.util.find_spec("onnxruntime") is None:
        return OnnxCheck(str(path), len(x), None, None)
    import numpy as np
    import onnxruntime as ort

    with torch.no_grad():
        expected = model(x).numpy()
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(["logits"], {session.get_inputs()[0].name: x.numpy()})[0]
    diff = float(np.max(np.abs(got - expected)))
    same = bool((got.argmax(1) == expected.argmax(1)).all())
    if diff > ATOL or not same:
        raise OnnxExportError(f"ONNX Runtime disagrees with PyTorch on {path}: max |logit diff| {diff:.3g} "
                              f"(allowed {ATOL}), same classes: {same}")
    return OnnxCheck(str(path), len(x), diff, same)


def export_promoted(storage: str | None, campaign: str, promoted: Any, path: str | Path, *, images: int = 16
                    ) -> OnnxCheck:
    """Export the network of a :class:`~netspace.platform.tracking.promote.PromotedModel` (rebuilt from its trial,
    as promotion does) to ``path``, checked on ``images`` held-out images of its dataset."""
    require_onnx()
    from netspace.platform.storage.project import project_dir
    from netspace.platform.storage.urls import resolve_url
    from netspace.platform.tracking.candidates import load_candidates
    from netspace.platform.tracking.finalized import use_finalized
    from netspace.platform.tracking.promote import _with_project_paths, serving_inputs
    from netspace.platform.tracking.serving import example_images, to_model_input
    from netspace.platform.tracking.weights import build_trained_model, trial_resolution
    from netspace.workers import load_dataset

    url = resolve_url(storage)
    candidates, _ = load_candidates(url, campaign, space=promoted.space)
    candidates = use_finalized(url, campaign, candidates, named=True)
    cand = next(c for c in candidates if c.number == promoted.trial_number)
    model, info, dataset = build_trained_model(_with_project_paths(cand, project_dir(url)))
    prep, _ = serving_inputs(info, dataset, trial_resolution(cand))  # at the trial's own resolution
    x = to_model_input(example_images(load_dataset(dataset).test_x, images, channels_last=False), prep)
    return export_network(model, x, path, metadata={**prep.to_dict(), "campaign": campaign,
                                                     "trial": f"{promoted.space}#{promoted.trial_number}"})
