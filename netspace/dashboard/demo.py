"""The demo campaign storage for the dashboard, its tests and benchmarks: written by the storage adapter
(:mod:`netspace.platform.storage.demo`, which owns the Optuna writes).

``python -m netspace.dashboard.demo sqlite:///demo.db [N]`` writes one.
"""

from netspace.platform.storage.demo import SPACE_OFFSET, add_completed, populate, replicate, synthetic_error

__all__ = ["SPACE_OFFSET", "add_completed", "populate", "replicate", "synthetic_error"]

if __name__ == "__main__":  # pragma: no cover
    import sys

    url = sys.argv[1] if len(sys.argv) > 1 else "sqlite:///demo.db"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    print(populate(url, "demo", ("anynetx_a", "anynetx_e", "regnetx"), n))
