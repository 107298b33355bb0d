"""Starting, watching and stopping the benchmark's servers: free loopback ports, readiness polling,
memory sampling of a process tree from /proc, and a stop that always ends what was started."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

logger = logging.getLogger(__name__)

POLL_SECONDS = 1.0
STOP_GRACE_SECONDS = 20


class ServerFailed(RuntimeError):
    """A server exited or never answered while starting; the message carries the end of its log."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    log_path: Path
    started_at: float = field(default_factory=time.monotonic)

    def log_tail(self, characters: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-characters:]
        except OSError as exc:
            return f"(no log: {exc})"


def start(name: str, command: list[str], *, cwd: Path, env: dict[str, str], log_path: Path) -> Server:
    # The API token is a credential even on loopback: keep it out of the log.
    shown = [
        "***" if previous == "--auth-token" else part
        for previous, part in zip(["", *command[:-1]], command, strict=True)
    ]
    logger.info("starting %s: %s", name, " ".join(shown))
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    return Server(name, process, log_path)


def wait_until_up(server: Server, url: str, *, timeout: float, params: dict[str, str] | None = None) -> float:
    """Poll `url` until it answers 200; return the seconds since the server was started."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise ServerFailed(
                f"{server.name} exited with code {server.process.returncode} while starting. "
                f"Its log ({server.log_path}) ends with:\n{server.log_tail()}"
            )
        try:
            if httpx.get(url, params=params, timeout=2).status_code == 200:
                return time.monotonic() - server.started_at
        except httpx.HTTPError:
            pass
        time.sleep(POLL_SECONDS)
    raise ServerFailed(
        f"{server.name} did not answer {url} within {timeout:.0f} s. "
        f"Its log ({server.log_path}) ends with:\n{server.log_tail()}"
    )


def wait_for_log(server: Server, needles: tuple[str, ...], *, timeout: float) -> tuple[str, float] | None:
    """Wait until the server's log holds one of `needles`; return it and the seconds since start, or None
    after `timeout` (or if the server exits)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and server.process.poll() is None:
        text = server.log_tail(1_000_000)
        for needle in needles:
            if needle in text:
                return needle, time.monotonic() - server.started_at
        time.sleep(POLL_SECONDS)
    return None


def stop(server: Server) -> None:
    """SIGTERM the server's main process and let it shut its workers down; SIGKILL its process group (it was
    started in a session of its own) after a grace period or if anything of it is left over.

    Terminating the whole group at once would kill Sanic's worker-state manager before the main process is
    done with it, so the main process goes first."""
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            logger.warning("%s ignored SIGTERM for %d s; killing it", server.name, STOP_GRACE_SECONDS)
    # ProcessLookupError: the group is empty, everything exited on its own.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.process.pid, signal.SIGKILL)
    server.process.wait()
    logger.info("stopped %s", server.name)


def _status_kib(pid: int, field_name: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def process_tree(root: int) -> list[int]:
    """`root` and all its descendants, from the parent ids in /proc/<pid>/stat."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry.name}/stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces and parentheses; the parent id is the 2nd field after the last ')'.
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    tree, pending = [], [root]
    while pending:
        pid = pending.pop()
        tree.append(pid)
        pending.extend(children.get(pid, []))
    return tree


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(root: int) -> float:
    """User plus system CPU time of `root` and its live descendants (and of children they already reaped).

    Wall-clock latency on a shared machine moves with everyone else's load; CPU time per message is the
    work a server did, whatever else ran beside it.
    """
    total_ticks = 0
    for pid in process_tree(root):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue  # exited between the listing and the read
        # Fields after the command name: utime, stime, cutime, cstime are the 12th-15th.
        fields = stat.rsplit(")", 1)[1].split()
        total_ticks += sum(int(value) for value in fields[11:15])
    return total_ticks / CLOCK_TICKS


class MemorySampler:
    """Samples the summed VmRSS of a process tree in a background thread; keeps the peak.

    The kernel's own high-water mark (VmHWM) is read per process at the end as well, because a spike
    between two samples would otherwise be missed.
    """

    def __init__(self, pid: int, interval: float = 0.5) -> None:
        self.pid = pid
        self.interval = interval
        self.peak_tree_kib = 0
        self.peak_hwm_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"rss-{pid}", daemon=True)

    def start(self) -> MemorySampler:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Takes a last sample and stops; the peaks stay readable."""
        self.sample()
        self._stop.set()
        self._thread.join(timeout=5)

    def __enter__(self) -> MemorySampler:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def sample(self) -> None:
        pids = process_tree(self.pid)
        self.peak_tree_kib = max(self.peak_tree_kib, sum(_status_kib(pid, "VmRSS") for pid in pids))
        self.peak_hwm_kib = max(self.peak_hwm_kib, sum(_status_kib(pid, "VmHWM") for pid in pids))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()
