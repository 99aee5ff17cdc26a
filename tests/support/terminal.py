"""A child process whose terminal output a test watches as it comes: stdout and stderr together, read by a
thread, either through a pipe (what a log file or CI sees) or through a pseudo-terminal (what a person at an
interactive shell sees, so Rich draws its live table)."""

from __future__ import annotations

import codecs
import fcntl
import os
import pty
import struct
import subprocess
import termios
import threading
import time


class Watched:
    """``cmd`` started in ``cwd`` with ``env``; ``tty=True`` gives it a ``columns``-wide pseudo-terminal as stdin,
    stdout and stderr. :meth:`wait_for` returns the monotonic time a piece of text first appeared."""

    def __init__(self, cmd: list[str], *, cwd, env: dict[str, str], tty: bool = False, columns: int = 220):
        self._text: list[str] = []
        self._lock = threading.Lock()
        if tty:
            master, slave = pty.openpty()
            fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 60, columns, 0, 0))
            self.proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=slave, stdout=slave, stderr=slave,
                                         start_new_session=True)
            os.close(slave)
            self._fd = master
        else:
            self.proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT, start_new_session=True)
            assert self.proc.stdout is not None
            self._fd = self.proc.stdout.fileno()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        while True:
            try:
                chunk = os.read(self._fd, 65536)
            except OSError:  # EIO: every holder of the pseudo-terminal's other end has exited
                break
            if not chunk:
                break
            with self._lock:
                self._text.append(decoder.decode(chunk))

    def text(self) -> str:
        with self._lock:
            return "".join(self._text)

    def wait_for(self, needle: str, timeout: float) -> float:
        """The monotonic time ``needle`` was first seen in the output; AssertionError after ``timeout`` s or when
        the process ended without printing it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in self.text():
                return time.monotonic()
            if self.proc.poll() is not None:
                self._reader.join(timeout=5)
                if needle in self.text():
                    return time.monotonic()
                raise AssertionError(f"exited ({self.proc.returncode}) without printing {needle!r}:\n"
                                     f"{self.text()[-3000:]}")
            time.sleep(0.05)
        raise AssertionError(f"{needle!r} not printed within {timeout:.0f} s:\n{self.text()[-3000:]}")

    def wait(self, timeout: float) -> int:
        rc = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=10)  # the children Ray started may hold the pipe a moment longer
        return rc

    def close(self) -> None:
        """Kill the process and its session (Ray's processes it started), and free the terminal."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, 9)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=30)
        if self.proc.stdout is None:  # the pseudo-terminal's master end
            try:
                os.close(self._fd)
            except OSError:
                pass
        else:
            self.proc.stdout.close()
