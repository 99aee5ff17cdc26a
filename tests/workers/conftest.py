"""Worker tests: a fresh dataset cache per test, two torch threads."""

from __future__ import annotations

import pytest
import torch

from netspace.workers.datasets import clear_cache


@pytest.fixture(autouse=True)
def _fresh_dataset_cache():
    clear_cache()
    yield
    clear_cache()


@pytest.fixture(autouse=True, scope="session")
def _threads():
    torch.set_num_threads(2)
