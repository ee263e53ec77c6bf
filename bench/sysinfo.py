"""What a bench ran on, and where the CPU went: read from /proc, the servers and the installed
packages, so that a figure can be read next to the machine, the versions and the load it came from.

    info = sysinfo.collect()           # a dict of short strings
    sysinfo.show(info)                 # printed as "key: value" lines

    before = sysinfo.cpu_snapshot(pids)
    ...                                # the measured window
    used = sysinfo.cpu_used(before, sysinfo.cpu_snapshot(pids))

Linux only (/proc). No dependency beyond what the project has: psutil is not used.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import shlex
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("Django", "channels", "channels-redis", "daphne", "uvloop", "websockets", "psycopg", "redis")
CLK_TCK = os.sysconf("SC_CLK_TCK")


# --- what it ran on -------------------------------------------------------------------------------
def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def cores() -> str:
    usable = len(os.sched_getaffinity(0))
    return f"{os.cpu_count()} online, {usable} usable by this process"


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as the kernel gives them."""
    return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def git_commit(root: Path = ROOT) -> str:
    """The short commit, '+dirty' when a tracked file differs from it. Untracked files are left out
    here (a worktree's .venv symlink is one) and listed by git_untracked."""
    def git(*args):
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=10).stdout.strip()

    try:
        commit = git("rev-parse", "--short", "HEAD") or "unknown"
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return commit + ("+dirty" if dirty else "")


def git_untracked(root: Path = ROOT) -> str:
    try:
        out = subprocess.run(["git", "status", "--porcelain", "--untracked-files=normal"], cwd=root,
                             capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    paths = [line[3:] for line in out.splitlines() if line.startswith("??")]
    return ", ".join(paths) if paths else "none"


def package_versions(names=PACKAGES) -> str:
    found = []
    for name in names:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} missing")
    return ", ".join(found)


def without_password(url: str) -> str:
    """A database or Redis URL as it may be printed: scheme, host, port, path, no credentials."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return f"{parts.scheme}://{host}{parts.path}"


def postgres_info() -> str:
    """server_version and synchronous_commit, through Django's connection (after django.setup())."""
    from django.db import connection

    try:
        with connection.cursor() as cur:
            cur.execute("SHOW server_version")
            version = cur.fetchone()[0]
            cur.execute("SHOW synchronous_commit")
            sync = cur.fetchone()[0]
    except Exception as exc:  # a report, not a test: say what went wrong and go on
        return f"unavailable ({type(exc).__name__}: {exc})"
    settings = connection.settings_dict
    where = f"{settings.get('HOST') or 'local socket'}:{settings.get('PORT') or 5432}/{settings.get('NAME')}"
    return f"{version}, synchronous_commit={sync} ({where})"


def commit_probe(seconds: float = 10.0, *, every: float = 0.005, slow: float = 0.040) -> str:
    """How long a one-row INSERT and its commit take on this PostgreSQL, one every ``every`` seconds
    for ``seconds``, with the connection's own synchronous_commit: the disk's flush is in every
    stored chat message, and a VM's virtual disk may stall a flush for 100 ms and more, whatever the
    load (docs/benchmarks.md §3). Through Django's connection, in a table of its own (logged, as the
    chat's are), dropped afterwards."""
    from django.db import connection

    table = "bench_commit_probe"
    try:
        with connection.cursor() as cur:
            cur.execute(f"CREATE TABLE IF NOT EXISTS {table} (id bigserial PRIMARY KEY, at timestamptz DEFAULT now(), pad text)")
            # autocommit: each INSERT is one commit
            took = _time_every(lambda: cur.execute(f"INSERT INTO {table} (pad) VALUES (%s)", ["x" * 200]), seconds, every)
            cur.execute(f"DROP TABLE {table}")
    except Exception as exc:
        return f"unavailable ({type(exc).__name__}: {exc})"
    return _timings(took, seconds, "commits", slow)


def flush_probe(seconds: float = 10.0, *, every: float = 0.005, slow: float = 0.040, directory: Path | None = None) -> str:
    """The disk itself, without PostgreSQL: an 8 KiB write and ``fdatasync`` of a file of our own
    every ``every`` seconds (what a commit asks of the disk). When this stalls as the commit probe
    does, the stalls are the disk's (on a VM, its host's), not PostgreSQL's. The file is in ``var/``;
    the result says whether that is the filesystem of PostgreSQL's data directory (when it can be
    asked and seen from here)."""
    import itertools
    import tempfile

    directory = directory or ROOT / "var"
    try:
        directory.mkdir(exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, prefix="flush-probe-") as handle:
            fd, block, blocks = handle.fileno(), b"x" * 8192, itertools.cycle(range(128))

            def flush():
                os.pwrite(fd, block, next(blocks) * len(block))
                os.fdatasync(fd)

            took = _time_every(flush, seconds, every)
    except OSError as exc:
        return f"unavailable ({type(exc).__name__}: {exc})"
    return _timings(took, seconds, "flushes", slow) + f" ({_same_disk_as_postgres(directory)})"


def _same_disk_as_postgres(directory: Path) -> str:
    try:
        from django.db import connection

        with connection.cursor() as cur:
            cur.execute("SHOW data_directory")
            data = cur.fetchone()[0]
        same = os.stat(data).st_dev == os.stat(directory).st_dev
    except Exception:
        return f"in {directory}; PostgreSQL's data directory not visible from here"
    return f"in {directory}, " + ("the filesystem of PostgreSQL's data" if same else "not the filesystem of PostgreSQL's data")


def _time_every(operation, seconds: float, every: float) -> list[float]:
    """How long ``operation()`` took, started every ``every`` seconds for ``seconds`` seconds."""
    import time

    took = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        started = time.monotonic()
        operation()
        took.append(time.monotonic() - started)
        time.sleep(max(0.0, every - (time.monotonic() - started)))
    return took


def _timings(took: list[float], seconds: float, what: str, slow: float) -> str:
    from bench.common import pct

    stalls = sum(1 for t in took if t >= slow)
    return (f"{len(took)} {what} in {seconds:g} s: p50 {pct(took, 50) * 1000:.2f} ms, p99 {pct(took, 99) * 1000:.2f} ms, "
            f"max {max(took) * 1000:.1f} ms; {stalls} of {slow * 1000:.0f} ms or more")


def redis_info(url: str) -> str:
    from redis import Redis

    try:
        version = Redis.from_url(url).info("server")["redis_version"]
    except Exception as exc:
        return f"unavailable ({type(exc).__name__}: {exc})"
    return f"{version} ({without_password(url)})"


def collect(*, redis_url: str | None = None, django: bool = True, **extra) -> dict:
    """What this process runs on, as short strings. ``django``: ask PostgreSQL through Django's
    connection (django.setup() must have run). ``extra`` items are added at the end, as given."""
    info = {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "command": shlex.join(getattr(sys, "orig_argv", [sys.executable, *sys.argv])),
        "git": git_commit(),
        "untracked": git_untracked(),
        "cpu": cpu_model(),
        "cores": cores(),
        "load average": load_average(),
        "kernel": platform.release(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "packages": package_versions(),
    }
    if django:
        info["postgresql"] = postgres_info()
    if redis_url:
        info["redis"] = redis_info(redis_url)
    info.update(extra)
    return info


def show(info: dict, *, title: str = "ran on", out=None) -> None:
    out = out or sys.stdout
    print(f"--- {title} ---", file=out, flush=True)
    for key, value in info.items():
        print(f"{key}: {value}", file=out, flush=True)


# --- where the CPU goes ---------------------------------------------------------------------------
def process_seconds(pid: int) -> float | None:
    """CPU seconds (user + system, all threads) a process has used; None if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces: split after its last ')'.
    fields = stat[stat.rindex(")") + 2:].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) / CLK_TCK


def pids_named(name: str) -> list[int]:
    """Every process whose /proc/<pid>/comm is ``name`` (all users' ones: the whole server)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == name:
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


def machine_ticks() -> dict:
    """The first line of /proc/stat: every CPU's time together, in clock ticks."""
    names = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")
    values = Path("/proc/stat").read_text().splitlines()[0].split()[1:1 + len(names)]
    return dict(zip(names, map(int, values)))


def cpu_snapshot(pids: dict[str, list[int]], *, named: tuple[str, ...] = ()) -> dict:
    """CPU seconds so far of each group of processes in ``pids`` (label -> pids), of each process
    name in ``named`` (found in /proc now: label = the name), of this process (os.times), and the
    machine's ticks. Take one before and one after a window; ``cpu_used`` subtracts them."""
    groups = {label: {pid: process_seconds(pid) for pid in group} for label, group in pids.items()}
    for name in named:
        groups[name] = {pid: process_seconds(pid) for pid in pids_named(name)}
    me = os.times()
    return {"groups": groups, "self": me.user + me.system, "machine": machine_ticks()}


def cpu_used(before: dict, after: dict) -> dict:
    """Seconds of CPU used between two snapshots, per group and by this process ('self'), and the
    machine's busy and steal shares in per cent of all its CPUs' time. A process born in the window
    counts from zero; one that ended in it is missing (its time is not in /proc any more)."""
    used = {}
    for label, now in after["groups"].items():
        then = before["groups"].get(label, {})
        used[label] = sum((s or 0) - (then.get(pid) or 0) for pid, s in now.items() if s is not None)
    used["self"] = after["self"] - before["self"]
    delta = {k: after["machine"][k] - before["machine"][k] for k in after["machine"]}
    total = sum(delta.values()) or 1
    # Busy: running something (user, nice, system, interrupts); not idle, not waiting for I/O and
    # not stolen by the hypervisor (steal is given on its own).
    busy = total - delta["idle"] - delta["iowait"] - delta["steal"]
    used["machine busy %"] = 100 * busy / total
    used["steal %"] = 100 * delta["steal"] / total
    return used
