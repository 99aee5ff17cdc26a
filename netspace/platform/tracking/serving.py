"""The served form of a promoted network: an MLflow model that takes images and answers with classes.

A registered netspace model carries two flavors in one artifact:

* ``pytorch``: the bare trained network (``mlflow.pytorch.load_model`` gives the netspace class back; it expects
  normalised float tensors, exactly as in training);
* ``python_function``, the one ``mlflow models serve`` and ``mlflow.pyfunc.load_model`` use: it bundles the
  dataset's preprocessing, so a client sends raw images and needs to know nothing about the training data.

Served input: a batch of uint8 images, 0-255, either channels-last ``(N, H, W, C)`` or channels-first
``(N, C, H, W)`` (the layout is told from where the dataset's channel count sits). Images of another size are
resized to the resolution the network trained at (the trial's own when it sampled one), bilinear and antialiased
when shrinking, exactly as training resized its data (:mod:`netspace.workers.resize`). :func:`load_served` gives the same classifier without MLflow's
input-schema check, and it also takes float images in [0, 1].
Served output, one row per image: ``class`` (index), ``class_name``, ``probability`` (of that class) and
``probabilities`` (all classes, in index order).

This module is an MLflow "flavor module": :func:`save_model` is what ``mlflow.models.Model.log`` calls, and
:func:`_load_pyfunc` is what the ``python_function`` flavor's ``loader_module`` names.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

#: key of the preprocessing block inside the MLmodel file's ``python_function`` flavor
CONFIG_KEY = "netspace_preprocessing"


@dataclass(frozen=True)
class Preprocessing:
    """What a client would otherwise need to know about the training data."""

    in_channels: int
    resolution: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    classes: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["mean"], d["std"], d["classes"] = list(self.mean), list(self.std), list(self.classes)
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Preprocessing:
        return cls(in_channels=int(data["in_channels"]), resolution=int(data["resolution"]),
                   mean=tuple(float(v) for v in data["mean"]), std=tuple(float(v) for v in data["std"]),
                   classes=tuple(str(c) for c in data.get("classes") or ()))

    def class_names(self, num_classes: int) -> tuple[str, ...]:
        return self.classes if len(self.classes) == num_classes else tuple(str(i) for i in range(num_classes))


def to_model_input(images: Any, prep: Preprocessing):
    """A float tensor ``(N, C, res, res)`` normalised as in training, from uint8 0-255 or float [0, 1] images in
    HWC or CHW layout (a single image without the batch axis is accepted too)."""
    import torch
    import torch.nn.functional as F

    x = torch.as_tensor(np.asarray(images))
    if x.ndim == 3:
        x = x.unsqueeze(0)
    if x.ndim == 2 and prep.in_channels == 1:
        x = x.unsqueeze(0).unsqueeze(0)
    if x.ndim != 4:
        raise ValueError(f"expected images as (N, H, W, C) or (N, C, H, W); got shape {tuple(x.shape)}")
    c = prep.in_channels
    if x.shape[1] != c and x.shape[-1] == c:
        x = x.permute(0, 3, 1, 2)
    elif x.shape[1] != c:
        raise ValueError(f"expected {c} channel(s) in the first or last image axis; got shape {tuple(x.shape)}")
    res = prep.resolution
    if x.dtype.is_floating_point:
        x = x.to(torch.float32)
        if tuple(x.shape[-2:]) != (res, res):
            x = F.interpolate(x, size=(res, res), mode="bilinear", align_corners=False, antialias=res < x.shape[-1])
    else:  # uint8 images resized exactly as training resized its data (netspace.workers.resize), then scaled
        from netspace.workers.resize import resize_images

        x = resize_images(x.to(torch.uint8), res).to(torch.float32).div_(255.0)
    mean = torch.tensor(prep.mean, dtype=torch.float32).view(1, -1, 1, 1)
    std = torch.tensor(prep.std, dtype=torch.float32).view(1, -1, 1, 1)
    # the same multiply-add as training's Normalizer: x*255 * 1/(255*std) - mean/std
    return (x * 255.0) * (1.0 / (255.0 * std)) + (-mean / std)


class ServedClassifier:
    """The ``python_function`` model: preprocessing, the network, then soft-max and class names."""

    def __init__(self, network: Any, prep: Preprocessing, batch_size: int = 256):
        self.network = network.eval()
        self.prep = prep
        self.batch_size = batch_size

    def predict(self, data: Any, params: Mapping[str, Any] | None = None):
        import pandas as pd
        import torch

        if isinstance(data, pd.DataFrame):
            data = np.stack([np.asarray(v) for v in data.iloc[:, 0]]) if data.shape[1] == 1 else data.to_numpy()
        x = to_model_input(data, self.prep)
        probs = []
        with torch.inference_mode():
            for i in range(0, len(x), self.batch_size):
                probs.append(torch.softmax(self.network(x[i:i + self.batch_size]).float(), dim=1))
        p = torch.cat(probs).numpy() if probs else np.zeros((0, len(self.prep.classes)), dtype=np.float32)
        names = self.prep.class_names(p.shape[1])
        idx = p.argmax(axis=1)
        return pd.DataFrame({
            "class": idx.astype(np.int64),
            "class_name": [names[i] for i in idx],
            "probability": p[np.arange(len(idx)), idx].astype(np.float64),
            "probabilities": [row.astype(np.float64).tolist() for row in p],
        })


def signature():
    """Inputs: uint8 images of any size and layout; outputs: the four prediction columns."""
    from mlflow.models import ModelSignature
    from mlflow.types.schema import Array, ColSpec, Schema, TensorSpec

    return ModelSignature(
        inputs=Schema([TensorSpec(np.dtype(np.uint8), (-1, -1, -1, -1))]),
        outputs=Schema([ColSpec("long", "class"), ColSpec("string", "class_name"), ColSpec("double", "probability"),
                        ColSpec(Array("double"), "probabilities")]),
    )


def example_images(images: Any, count: int = 1, channels_last: bool = True) -> np.ndarray:
    """``count`` real uint8 images ``(N, C, H, W)`` from a dataset, as the served input example (HWC by default)."""
    x = np.asarray(images[:count], dtype=np.uint8)
    return np.ascontiguousarray(x.transpose(0, 2, 3, 1)) if channels_last else x


# ------------------------------------------------------------------------------ the MLflow flavor-module API
def save_model(path: str, mlflow_model: Any = None, *, pytorch_model: Any, preprocessing: Preprocessing,
               **pytorch_kwargs: Any) -> None:
    """Save ``pytorch_model`` with the pytorch flavor, then point the pyfunc flavor at this module and record
    ``preprocessing`` in it (``mlflow.models.Model.log(flavor=this_module, ...)`` calls this)."""
    import mlflow.pytorch
    from mlflow.models import Model

    if mlflow_model is None:
        mlflow_model = Model()
    pytorch_kwargs.setdefault("signature", signature())
    mlflow.pytorch.save_model(pytorch_model, path, mlflow_model=mlflow_model, **pytorch_kwargs)
    pyfunc = mlflow_model.flavors["python_function"]
    pyfunc["loader_module"] = __name__
    pyfunc[CONFIG_KEY] = preprocessing.to_dict()
    mlflow_model.save(os.path.join(path, "MLmodel"))


def _load_pyfunc(data_path: str, model_config: Mapping[str, Any] | None = None) -> ServedClassifier:
    import mlflow.pytorch
    from mlflow.models import Model

    model_dir = data_path if os.path.isfile(os.path.join(data_path, "MLmodel")) else os.path.dirname(data_path)
    conf = Model.load(os.path.join(model_dir, "MLmodel")).flavors["python_function"]
    network = mlflow.pytorch.load_model(model_dir, map_location="cpu")
    return ServedClassifier(network, Preprocessing.from_dict(conf[CONFIG_KEY]))


def load_served(model_dir_or_uri: str) -> ServedClassifier:
    """The served classifier of a registered netspace model, from a local model folder or any MLflow model URI,
    without MLflow's input-schema check (so float images in [0, 1] are accepted as well as uint8)."""
    local = model_dir_or_uri
    if not os.path.isdir(local):
        import mlflow.artifacts

        local = mlflow.artifacts.download_artifacts(model_dir_or_uri)
    return _load_pyfunc(local)


def predictions_from_response(body: Mapping[str, Any] | Sequence[Any]) -> list[dict[str, Any]]:
    """The rows of a ``mlflow models serve`` /invocations answer (``{"predictions": [...]}``)."""
    rows = body.get("predictions", body) if isinstance(body, Mapping) else body
    return list(rows)
