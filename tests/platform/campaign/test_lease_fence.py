"""The lease fence on a real SQLite database: a swap per write unless the last one is younger than a quarter of
the stale time, and a taken-over lease is noticed at the first write after that window."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from netspace.platform.campaign.lease import TABLE, Lease, LeaseLost
from netspace.platform.storage.database import create_engine


def _steal(engine) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text(f"UPDATE {TABLE} SET holder = 'other'"))


def test_fence_skips_fresh_swaps_and_catches_a_takeover(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'lease.db'}")
    lease = Lease(engine, "c", stale_after_s=0.8, heartbeat_s=60).acquire()  # window 0.2 s; no beat in the test
    try:
        assert lease.fence_window_s == pytest.approx(0.2)
        swaps = []
        refresh = lease._refresh
        lease._refresh = lambda: swaps.append(1) or refresh()
        lease.ensure_held()
        assert swaps == []  # just acquired: no round trip
        time.sleep(0.25)
        lease.ensure_held()
        assert swaps == [1]  # past the window: compare-and-swap
        _steal(engine)  # (impossible within the window for a real driver: the heartbeat is too recent)
        time.sleep(0.25)
        with pytest.raises(LeaseLost, match="lost its lease"):
            lease.ensure_held()
        assert lease.lost
        with pytest.raises(LeaseLost):
            lease.ensure_held()
    finally:
        lease.release()
        engine.dispose()
