"""One live driver per campaign: a lease row (holder, pid, host, heartbeat) in the campaign's database.

``acquire`` inserts the row, or takes over a stale one (heartbeat older than ``stale_after_s``, or a holder on
this host whose process is gone) with a compare-and-swap on the holder id, so two drivers can never both hold
it. A daemon thread refreshes the heartbeat; ``release`` deletes the row. Holding the lease is what lets the
engine treat RUNNING trials in storage as abandoned.

Fencing: the engine calls :meth:`Lease.ensure_held` before every write (a compare-and-swap heartbeat on its own
holder id); a driver that was frozen or cut off past ``stale_after_s`` and taken over gets :class:`LeaseLost`
there and records nothing more. Timings: ``NETSPACE_LEASE_STALE_S`` (default 30) and
``NETSPACE_LEASE_HEARTBEAT_S`` (default 5).

The fence skips its compare-and-swap while the last successful one (fence or heartbeat) is younger than
``stale_after_s / 4`` on this process's monotonic clock (which keeps running while the process is frozen): the
heartbeat it wrote then is too recent for any driver to take the lease over, so the write is as safe as right
after a swap, and steady-state writes cost no extra round trip (one commit fewer per write on SQLite).
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid

import sqlalchemy as sa

from netspace.errors import CampaignError

TABLE = "netspace_driver_lease"
HEARTBEAT_S = 5.0
STALE_AFTER_S = 30.0
ENV_STALE = "NETSPACE_LEASE_STALE_S"
ENV_HEARTBEAT = "NETSPACE_LEASE_HEARTBEAT_S"


def env_stale_after_s() -> float:
    return float(os.environ.get(ENV_STALE) or STALE_AFTER_S)


def env_heartbeat_s() -> float:
    return float(os.environ.get(ENV_HEARTBEAT) or HEARTBEAT_S)


class LeaseLost(CampaignError):
    """This driver no longer holds its campaign's lease: another driver took over."""

_meta = sa.MetaData()
_lease = sa.Table(
    TABLE, _meta,
    sa.Column("campaign", sa.String(256), primary_key=True),
    sa.Column("holder", sa.String(64), nullable=False),
    sa.Column("host", sa.String(256), nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("started", sa.Float, nullable=False),
    sa.Column("heartbeat", sa.Float, nullable=False),
)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Lease:
    def __init__(self, engine: sa.Engine, campaign: str, *, stale_after_s: float | None = None,
                 heartbeat_s: float | None = None):
        self.engine, self.campaign = engine, campaign
        self.stale_after_s = stale_after_s if stale_after_s is not None else env_stale_after_s()
        self.heartbeat_s = heartbeat_s if heartbeat_s is not None else env_heartbeat_s()
        self.holder = uuid.uuid4().hex
        self.host, self.pid = socket.gethostname(), os.getpid()
        self.lost = False
        self.fence_window_s = self.stale_after_s / 4
        self._held_at: float | None = None  # monotonic time of the last successful compare-and-swap (or insert)
        self.took_over: dict | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- acquire / release ---------------------------------------------------------------------------
    def acquire(self) -> Lease:
        try:
            _meta.create_all(self.engine, checkfirst=True)
        except sa.exc.OperationalError as exc:  # a new database raced by two drivers: the other created it
            if "already exists" not in str(exc):
                raise
        now, mono = time.time(), time.monotonic()
        row = dict(campaign=self.campaign, holder=self.holder, host=self.host, pid=self.pid, started=now, heartbeat=now)
        try:
            with self.engine.begin() as conn:
                conn.execute(_lease.insert().values(**row))
        except sa.exc.IntegrityError:
            self._take_over(row)
        self._held_at = mono
        self._thread = threading.Thread(target=self._beat, name="netspace-lease", daemon=True)
        self._thread.start()
        return self

    def _take_over(self, row: dict) -> None:
        with self.engine.begin() as conn:
            old = conn.execute(sa.select(_lease).where(_lease.c.campaign == self.campaign)).mappings().first()
        if old is None:  # released in between: try once more
            with self.engine.begin() as conn:
                conn.execute(_lease.insert().values(**row))
            return
        age = time.time() - old["heartbeat"]
        dead_here = old["host"] == self.host and not _pid_alive(old["pid"])
        if not (dead_here or age > self.stale_after_s):
            raise CampaignError(
                f"campaign {self.campaign!r} is already being run by pid {old['pid']} on {old['host']} "
                f"(heartbeat {age:.0f} s ago); wait for it to finish or stop it first")
        with self.engine.begin() as conn:
            res = conn.execute(_lease.update()
                               .where(_lease.c.campaign == self.campaign, _lease.c.holder == old["holder"])
                               .values(**{k: v for k, v in row.items() if k != "campaign"}))
        if res.rowcount != 1:
            raise CampaignError(f"campaign {self.campaign!r}: another driver took it over just now")
        self.took_over = dict(old)

    def _refresh(self) -> bool:
        """Compare-and-swap the heartbeat on this holder id; False when the row is no longer ours."""
        start = time.monotonic()
        with self.engine.begin() as conn:
            res = conn.execute(_lease.update()
                               .where(_lease.c.campaign == self.campaign, _lease.c.holder == self.holder)
                               .values(heartbeat=time.time()))
        if res.rowcount == 1:
            self._held_at = start
            return True
        return False

    def _fresh(self) -> bool:
        held_at = self._held_at
        return held_at is not None and time.monotonic() - held_at < self.fence_window_s

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat_s):
            try:
                if not self._refresh():
                    self.lost = True
                    return
            except Exception:  # a transient DB error: try again at the next beat
                continue

    def ensure_held(self) -> None:
        """The fence before every write: raise :class:`LeaseLost` unless this driver still holds the lease."""
        if not self.lost and not self._fresh() and not self._refresh():
            self.lost = True
        if self.lost:
            raise self.lost_error()

    def lost_error(self) -> LeaseLost:
        return LeaseLost(f"campaign {self.campaign!r}: this driver lost its lease (no heartbeat for over "
                         f"{self.stale_after_s:.0f} s) and another driver took over; stopping without "
                         "recording anything more")

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.heartbeat_s + 5)
        try:
            with self.engine.begin() as conn:
                conn.execute(_lease.delete().where(_lease.c.campaign == self.campaign, _lease.c.holder == self.holder))
        except Exception:
            pass

    def __enter__(self) -> Lease:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def current_holder(engine: sa.Engine, campaign: str) -> dict | None:
    """The lease row of ``campaign`` (with ``age_s`` and ``alive``), or None when no driver holds it."""
    try:
        with engine.connect() as conn:
            row = conn.execute(sa.select(_lease).where(_lease.c.campaign == campaign)).mappings().first()
    except sa.exc.SQLAlchemyError:  # table not created yet
        return None
    if row is None:
        return None
    out = dict(row)
    out["age_s"] = time.time() - out["heartbeat"]
    dead_here = out["host"] == socket.gethostname() and not _pid_alive(out["pid"])
    out["alive"] = out["age_s"] <= env_stale_after_s() and not dead_here
    return out
