"""Run wrk (pinned to the load CPU) with bench/lua/replay.lua over per-thread request files, and parse
the BENCHJSON line its done() prints."""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from servers import LOAD_CPU

SCRIPT = Path(__file__).resolve().parent / "lua" / "replay.lua"


def ensure_wrk() -> str:
    """wrk's version line; installs the Debian package when it is missing (needs root)."""
    if shutil.which("wrk") is None:
        print("bench: wrk is missing; installing the Debian package (apt-get install -y wrk)", flush=True)
        subprocess.run(["apt-get", "install", "-y", "wrk"], check=True, stdout=subprocess.DEVNULL)
    out = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    return (out.stdout + out.stderr).splitlines()[0].split(" Copyright")[0]


@dataclass
class WrkResult:
    requests: int
    seconds: float
    non2xx: int
    socket_errors: int
    exhausted: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    codes: dict
    wrk_cpu: float = 0.0

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def to_dict(self) -> dict:
        return {**self.__dict__, "rate": self.rate}


def run(url: str, prefix: Path, *, threads: int, connections: int, seconds: float) -> WrkResult:
    command = [
        "taskset",
        "-c",
        LOAD_CPU,
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds:g}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(SCRIPT),
        url,
        str(prefix),
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    wrk_cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    line = next((x for x in out.stdout.splitlines() if x.startswith("BENCHJSON ")), None)
    if out.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({out.returncode}): {out.stdout[-2000:]} {out.stderr[-2000:]}")
    data = json.loads(line.split(" ", 1)[1])
    return WrkResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        non2xx=data["non2xx"],
        socket_errors=sum(data[k] for k in ("connect", "read", "write", "timeout")),
        exhausted=data["exhausted"],
        p50_ms=data["p50_us"] / 1000,
        p90_ms=data["p90_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        codes=data["codes"],
        wrk_cpu=wrk_cpu,
    )
