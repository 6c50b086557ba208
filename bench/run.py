"""`make bench`: load figures (wrk, real Digest) and the other measures of issue 7, written to
bench/RESULTS.md by bench/report.py. Numbers are figures in a report, never test assertions.

    python bench/run.py                 # everything (about 7 minutes on 2 cores)
    python bench/run.py --wait-quiet 600  # first wait for an idle machine (other processes skew it)
    python bench/run.py --quick         # shorter runs, written to bench/RESULTS.quick.md
    python bench/run.py --only s1,refs  # some sections: seed start reset fixture s1 s2 s3 s4 refs
                                        # tenants postgres
    python bench/run.py --worlds default --workers 1

Pinning: one sandbox worker, the FastAPI floors, Prism and WireMock run on CPU 0, wrk and the S4 driver
on CPU 1; with `--workers 2` the sandbox gets CPUs 0-1 and so shares CPU 1 with the load generator.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from importlib.util import find_spec
from pathlib import Path

import digest
import httpx
import report
import servers
import wrk

BENCH = Path(__file__).resolve().parent
DATA = BENCH / ".data"
SECTIONS = ("seed", "start", "reset", "fixture", "s1", "s2", "s3", "s4", "refs", "tenants", "postgres")
WORLDS = {"default": 400, "100k": 100_000}
THREADS, CONNECTIONS = 1, 32
S3_FILTER = "type=Buy"
WIREMOCK_WARM_S = 30
ROUNDS = 3  # S1 rounds of the sandbox, the floor, Prism and WireMock, alternating


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def note_load(results: dict, label: str) -> None:
    """The 1-minute load average, to tell a quiet machine from a busy one in the report."""
    load_1m = Path("/proc/loadavg").read_text().split()[0]
    results["loads"] = (
        f"{results['loads']}, {label} {load_1m}" if results.get("loads") else f"{label} {load_1m}"
    )


def seed(db: Path, orders: int) -> float:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    subprocess.run(
        [str(servers.BIN / "minted-sandbox"), "seed", "--db", f"sqlite:///{db}", "--orders", str(orders)],
        check=True,
        stderr=subprocess.DEVNULL,
        env=servers.clean_env(),
    )
    return time.perf_counter() - started


def client(url: str) -> httpx.Client:
    return httpx.Client(
        base_url=url, auth=httpx.DigestAuth(digest.USER, digest.PASSWORD), headers=digest.HEADERS, timeout=60
    )


def sample_orders(url: str, pages: int) -> dict:
    """Seeded guids and order_codes of the demo partner from random Get Orders pages, and S3's page count."""
    rng = random.Random(42)
    with client(url) as api:
        last = api.get("/partner/orders", params={"total": 30}).json()["data"]["last_page"]
        orders = []
        for page in sorted(rng.sample(range(1, last + 1), min(pages, last))):
            orders += api.get("/partner/orders", params={"total": 30, "page": page}).json()["data"]["data"]
        s3_last = api.get(f"/partner/orders?total=30&{S3_FILTER}").json()["data"]["last_page"]
    return {
        "guids": [o["guid"] for o in orders],
        "codes": [o["order_code"] for o in orders],
        "s3_last": s3_last,
    }


def targets(scenario: str, ids: dict, count: int, rng: random.Random) -> tuple[str, list[tuple[str, str]]]:
    if scenario == "s1":
        return "GET", [(f"/partner/order/{rng.choice(ids['guids'])}", "") for _ in range(count)]
    if scenario == "s2":
        return "POST", [
            ("/partner/order", json.dumps({"order_code": rng.choice(ids["codes"])})) for _ in range(count)
        ]
    pages = [rng.randint(1, ids["s3_last"]) for _ in range(count)]
    return "GET", [(f"/partner/orders?page={p}&total=30&{S3_FILTER}", "") for p in pages]


def load(server: servers.Server, scenario: str, ids: dict, work: Path, opts, *, real_digest: bool) -> dict:
    """A warm-up run, then the measured run; its request lists hold 3× the warm-up's rate (at least
    15,000/s) for the whole run, since a cold warm-up is slower than the run it sizes (cached reads with
    two workers outran 5,000/s: the lists ran out and the rest were refused replays). `other_cpu` is
    the share of the machine's two CPUs that processes other than the server and wrk used meanwhile."""
    url = server.url
    rng = random.Random(f"{scenario}-42")
    per_thread = int(opts.warm * 8000 / THREADS)
    result = None
    for phase, seconds in (("warm", opts.warm), ("run", opts.seconds)):
        prefix = work / f"{scenario}-{phase}"
        for t in range(1, THREADS + 1):
            challenge = digest.challenge(url) if real_digest else digest.FAKE
            method, reqs = targets(scenario, ids, per_thread, rng)
            digest.write_requests(
                Path(f"{prefix}.{t}.tsv"), challenge, method, reqs, f"{rng.getrandbits(64):016x}"
            )
        busy, served, started = servers.machine_busy_seconds(), server.cpu_seconds(), time.perf_counter()
        result = wrk.run(url, prefix, threads=THREADS, connections=CONNECTIONS, seconds=seconds)
        elapsed = time.perf_counter() - started
        other = servers.machine_busy_seconds() - busy - (server.cpu_seconds() - served) - result.wrk_cpu
        per_thread = int(max(result.rate * 3, 15_000) * opts.seconds / THREADS) + 1000
    out = result.to_dict()
    out["other_cpu"] = max(other, 0.0) / (elapsed * (os.cpu_count() or 1))
    log(
        f"  {scenario}: {out['rate']:.0f} req/s, p50 {out['p50_ms']:.1f} ms, p99 {out['p99_ms']:.1f} ms, "
        f"non-2xx {out['non2xx']}, exhausted {out['exhausted']}, other processes {out['other_cpu']:.0%} CPU"
    )
    return out


def writes(server: servers.Server, opts, tag: str, *extra: str) -> dict:
    command = ["taskset", "-c", servers.LOAD_CPU, sys.executable, str(BENCH / "writes.py"), server.url,
               str(opts.seconds), str(opts.s4_concurrency), tag, *extra]  # fmt: skip
    busy, served, started = servers.machine_busy_seconds(), server.cpu_seconds(), time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    driver = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    other = servers.machine_busy_seconds() - busy - (server.cpu_seconds() - served) - driver
    out["other_cpu"] = max(other, 0.0) / ((time.perf_counter() - started) * (os.cpu_count() or 1))
    log(f"  s4: {out['rate']:.1f} pairs/s, p50 {out['p50_ms']:.1f} ms, p99 {out['p99_ms']:.1f} ms, "
        f"failed {out['failed_pairs']}, other processes {out['other_cpu']:.0%} CPU")  # fmt: skip
    return out


def reset_times(url: str, count: int = 20) -> dict:
    trips, copies = [], []
    with httpx.Client(base_url=url, timeout=120) as http:  # one client: building one costs ~30 ms
        for _ in range(count):
            started = time.perf_counter()
            response = http.post("/_sandbox/reset")
            trips.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.text
            copies.append(response.json()["data"]["milliseconds"])
    return {"trip_ms": statistics.median(trips), "copy_ms": statistics.median(copies), "count": count}


def tenant_measures(db: Path, work: Path, opts, results: dict) -> None:
    """Issue 16: creating and resetting a tenant, S4 with each client in a tenant of its own against S4
    in one world (alternating, same server), and 100 open tenants' memory and idle CPU."""
    log("tenants, 1 worker, default world")
    note_load(results, "tenants")
    server = servers.start_sandbox(db, WORLDS["default"], 1, work / "tenants.log")
    measures = results["measures"]
    try:
        with httpx.Client(base_url=server.url, timeout=120) as http:
            http.post("/_sandbox/reset").raise_for_status()
            for left in http.get("/_sandbox/tenants").json()["data"]["tenants"]:  # an earlier run's
                http.delete(f"/_sandbox/tenants/{left['tenant']}").raise_for_status()
            created, resets = [], []
            for _ in range(20):
                started = time.perf_counter()
                tenant = http.post("/_sandbox/tenants").raise_for_status().json()["data"]["tenant"]
                created.append((time.perf_counter() - started) * 1000)
            http.post("/_sandbox/reset", headers={"X-Sandbox-Tenant": tenant}).raise_for_status()  # staging
            for _ in range(20):
                started = time.perf_counter()
                http.post("/_sandbox/reset", headers={"X-Sandbox-Tenant": tenant}).raise_for_status()
                resets.append((time.perf_counter() - started) * 1000)
            measures["tenants|create"] = {"median_ms": statistics.median(created), "max_ms": max(created)}
            measures["tenants|reset"] = {"median_ms": statistics.median(resets), "max_ms": max(resets)}
            log(f"  create {measures['tenants|create']}, reset {measures['tenants|reset']}")
            pairs: dict[str, list[dict]] = {"one": [], "own": []}
            for round_ in range(2):
                for kind in ("one", "own"):
                    tag = f"s4t-{kind}-{round_}-{int(time.time())}"
                    pairs[kind].append(writes(server, opts, tag, *(["tenants"] if kind == "own" else [])))
            measures["tenants|s4"] = pairs
            for _ in range(100 - len(http.get("/_sandbox/tenants").json()["data"]["tenants"])):
                http.post("/_sandbox/tenants").raise_for_status()
            idle_from = server.cpu_seconds()
            time.sleep(10)
            measures["tenants|100"] = {
                "peak_rss_mb": server.peak_rss_mb(),
                "idle_cpu": (server.cpu_seconds() - idle_from) / 10,
                "tenants": len(http.get("/_sandbox/tenants").json()["data"]["tenants"]),
            }
            log(f"  100 tenants: {measures['tenants|100']}")
            for made in http.get("/_sandbox/tenants").json()["data"]["tenants"]:
                http.delete(f"/_sandbox/tenants/{made['tenant']}").raise_for_status()
    finally:
        server.stop()


def postgres_measures(work: Path, opts, results: dict) -> None:
    """Issue 17, on a PostgreSQL server on this machine (Debian's, in a throwaway directory, as the
    tests start it): S1 and resets of the default world through one server, and S4 through two servers
    on the one database (half the S4 clients on each), against one SQLite server's runs of this run."""
    sys.path.insert(0, str(BENCH.parent))
    from tests.support.postgres import Cluster  # noqa: PLC0415 (the repository's tests, not the package's)

    log("postgres: S1 and reset through one server, S4 through two replicas")
    note_load(results, "postgres")
    cluster = Cluster("bench")
    cluster.start()
    measures = results["measures"]
    try:
        store = cluster.database("bench")
        first = servers.start_sandbox(work / "pg.db", WORLDS["default"], 1, work / "pg-1.log", store=store)
        try:
            ids = sample_orders(first.url, opts.pages)
            measures["postgres|s1"] = load(first, "s1", ids, work, opts, real_digest=True)
            measures["postgres|reset"] = reset_times(first.url)
            log(f"  reset: {measures['postgres|reset']}")
            second = servers.start_sandbox(
                work / "pg.db", WORLDS["default"], 1, work / "pg-2.log", cpus="1", store=store
            )
            try:
                measures["postgres|s4"] = replicas_s4([first, second], opts)
            finally:
                second.stop()
        finally:
            first.stop()
    finally:
        cluster.stop()


def replicas_s4(replicas: list[servers.Server], opts) -> dict:
    """S4 through every replica at once (its share of the clients each); pairs/s summed, p99 the worst."""
    share = max(opts.s4_concurrency // len(replicas), 1)
    tag = f"s4pg-{int(time.time())}"
    driver = ["taskset", "-c", servers.LOAD_CPU, sys.executable, str(BENCH / "writes.py")]
    commands = [[*driver, r.url, str(opts.seconds), str(share), f"{tag}-{n}"] for n, r in enumerate(replicas)]
    running = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True) for command in commands]
    outs = [json.loads(process.communicate()[0]) for process in running]
    out = {
        "rate": sum(o["rate"] for o in outs),
        "p50_ms": max(o["p50_ms"] for o in outs),
        "p99_ms": max(o["p99_ms"] for o in outs),
        "failed_pairs": sum(o["failed_pairs"] for o in outs),
        "replicas": len(replicas),
        "concurrency": share * len(replicas),
    }
    log(f"  s4, {len(replicas)} replicas: {out}")
    return out


def fixture_overhead() -> dict:
    command = [
        sys.executable,
        "-m",
        "pytest",
        "tests/plugin",
        "-s",
        "-q",
        "-k",
        "hundred",
        "-p",
        "no:cacheprovider",
    ]
    out = subprocess.run(command, capture_output=True, text=True, cwd=servers.ROOT, env=servers.clean_env())
    match = re.search(r"per-test overhead: median ([\d.]+) ms over (\d+) tests", out.stdout)
    if match is None:
        return {"error": (out.stdout + out.stderr)[-500:]}
    return {"median_ms": float(match[1]), "tests": int(match[2])}


def sandbox_config(workers: int, world: str, db: Path, work: Path, opts, results: dict) -> None:
    log(f"sandbox, {workers} worker(s), {world} world")
    note_load(results, f"{workers}w {world}")
    server = servers.start_sandbox(db, WORLDS[world], workers, work / "sandbox.log")
    try:
        httpx.post(f"{server.url}/_sandbox/reset", timeout=120).raise_for_status()  # undo earlier S4 buys
        ids = sample_orders(server.url, opts.pages)
        results.setdefault("s3_pages", {})[world] = ids["s3_last"]
        if world == "default" and workers == 1:
            results["s1_body"] = httpx.get(
                server.url + f"/partner/order/{ids['guids'][0]}",
                auth=httpx.DigestAuth(digest.USER, digest.PASSWORD),
                headers=digest.HEADERS,
            ).content
            results["openapi"] = httpx.get(server.url + "/openapi.json").text
            results["ids"] = ids
        for scenario in ("s1", "s2", "s3"):
            if scenario in opts.only:
                key = f"{scenario}|sandbox|{workers}|{world}"
                results["runs"][key] = load(server, scenario, ids, work, opts, real_digest=True)
        if "s4" in opts.only:
            tag = f"s4-{workers}w-{world}-{int(time.time())}"
            results["runs"][f"s4|sandbox|{workers}|{world}"] = writes(server, opts, tag)
        results["rss"][f"{workers}|{world}"] = server.peak_rss_mb()
        if "reset" in opts.only and workers == 1:
            results["measures"][f"reset|{world}"] = reset_times(server.url)
            log(f"  reset: {results['measures'][f'reset|{world}']}")
    finally:
        server.stop()


def _prism_answer(url: str, guid: str) -> dict:
    uri = f"/partner/order/{guid}"
    auth = digest.authorizations(digest.FAKE, "GET", [uri], "0" * 16)[0]
    response = httpx.get(url + uri, headers={**digest.HEADERS, "Authorization": auth})
    return {"status": response.status_code, "bytes": len(response.content)}


def references(db: Path, work: Path, opts, results: dict) -> None:
    """The FastAPI floors, Prism and WireMock. Prism's own Digest check wants every auth-param quoted and
    [a-z0-9]* (RFC 7616's unquoted algorithm/qop/nc and a uri with "/" fail it), so it answers 401 to
    every real Digest request: that is recorded, and Prism is measured on the spec minus `security`.
    WireMock serves S1's bytes from one stub, after a warm-up run of its own.

    The read references run in ROUNDS rounds alternating with a sandbox (1 worker, default world), all
    started side by side on the same CPU: a single run of any of them swings by 10% or more from one
    minute to the next on this machine, and the ratio of two runs taken minutes apart swung with it.
    Then the write floor takes S4's driver once: a pair is two commits, as S4's price fix + buy."""
    ids = results["ids"]
    body, spec, unsecured = work / "s1-body.json", work / "openapi.json", work / "openapi-unsecured.json"
    body.write_bytes(results["s1_body"])
    spec.write_text(results["openapi"], encoding="utf-8")
    document = json.loads(results["openapi"])
    document.pop("security", None)
    for operations in document["paths"].values():
        for operation in operations.values():
            if isinstance(operation, dict):
                operation.pop("security", None)
    unsecured.write_text(json.dumps(document), encoding="utf-8")
    note_load(results, "refs")
    with ExitStack() as running:
        peers = {
            "sandbox": servers.start_sandbox(db, WORLDS["default"], 1, work / "sandbox.log"),
            "floor": servers.start_floor(body, work / "floor.db", work / "floor.log"),
        }
        for server in peers.values():
            running.callback(server.stop)
        if prism := _start_prism(spec, unsecured, ids["guids"][0], work, results):
            running.callback(prism.stop)
            peers["prism"] = prism
        if wiremock := _start_wiremock(body, ids, work, opts, results):
            running.callback(wiremock.stop)
            peers["wiremock"] = wiremock
        log(f"S1 on the sandbox, {' and '.join(list(peers)[1:])}: {ROUNDS} alternating rounds")
        rounds = results["paired"] = []
        for _ in range(ROUNDS):
            rounds.append(
                {
                    name: load(server, "s1", ids, work, opts, real_digest=name == "sandbox")
                    for name, server in peers.items()
                }
            )
        log("S4's driver on the write floor")
        results["runs"]["s4|floor|1|default"] = writes(peers["floor"], opts, "floor")
    for name in list(peers)[1:]:
        by_rate = sorted((each[name] for each in rounds), key=lambda run: run["rate"])
        results["runs"][f"s1|{name}|1|default"] = by_rate[len(by_rate) // 2]


def _start_wiremock(body: Path, ids: dict, work: Path, opts, results: dict) -> servers.Server | None:
    """WireMock serving S1's bytes, warmed up by S1 load (discarded); None (and a note) if missing."""
    try:
        server = servers.start_wiremock(body, work / "wiremock", work / "wiremock.log")
    except RuntimeError as error:
        results["wiremock_error"] = str(error)
        log(f"  WireMock unavailable: {error}")
        return None
    try:
        # On one CPU the JVM's compilers take 20-30 s of load to reach WireMock's steady rate.
        seconds = 10 if opts.quick else WIREMOCK_WARM_S
        log(f"  WireMock warm-up, {seconds} s of S1 (discarded)")
        load(
            server,
            "s1",
            ids,
            work,
            argparse.Namespace(**{**vars(opts), "seconds": seconds}),
            real_digest=False,
        )
    except Exception:
        server.stop()
        raise
    return server


def _start_prism(spec: Path, unsecured: Path, guid: str, work: Path, results: dict) -> servers.Server | None:
    """Prism on the unsecured spec, after recording what it answers with the real one; None if missing."""
    try:
        server = servers.start_prism(spec, work / "prism.log")
        results["prism_check_secured"] = _prism_answer(server.url, guid)
        server.stop()
        server = servers.start_prism(unsecured, work / "prism.log")
    except RuntimeError as error:
        results["prism_error"] = str(error)
        log(f"  Prism unavailable: {error}")
        return None
    try:
        results["prism_check"] = _prism_answer(server.url, guid)
    except Exception:
        server.stop()
        raise
    secured, plain = results["prism_check_secured"], results["prism_check"]
    log(f"  Prism, one S1 request: {secured} with security, {plain} without")
    return server


def wait_quiet(limit: float) -> float:
    """Wait (up to `limit` seconds) until the machine is idle: under 10% busy over 5 s. Returns the share."""
    deadline = time.perf_counter() + limit
    while True:
        busy = servers.machine_busy_seconds()
        time.sleep(5)
        share = (servers.machine_busy_seconds() - busy) / (5 * (os.cpu_count() or 1))
        if share < 0.10 or time.perf_counter() > deadline:
            return share
        log(f"  machine {share:.0%} busy; waiting for it to quieten (--wait-quiet)")


def guarded(results: dict, label: str, step, *args) -> None:
    """A failing configuration is reported in RESULTS.md's flags; the others still run."""
    try:
        step(*args, results)
    except Exception as error:  # any failure becomes a flagged line of the report
        results.setdefault("errors", []).append(f"{label}: {type(error).__name__}: {error}"[:500])
        log(f"  FAILED {label}: {error}")


def machine() -> dict:
    servers.ensure_prism()
    servers.ensure_wiremock()
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown",
    )
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip() or "missing"
    # What uvicorn's "auto" picks for `serve` and the floors: httptools and uvloop when installed.
    stack = ["httptools" if find_spec("httptools") else "h11", "uvloop" if find_spec("uvloop") else "asyncio"]
    return {
        "cores": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "wrk": wrk.ensure_wrk(),
        "prism": servers.prism_version(),
        "wiremock": servers.wiremock_version(),
        "server_stack": " + ".join(stack),
        "node": node,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="3 s runs, 3 start samples → RESULTS.quick.md")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma list of {', '.join(SECTIONS)}")
    parser.add_argument("--wait-quiet", type=float, default=0, metavar="S",
                        help="first wait up to S seconds for the machine to be idle [0]")  # fmt: skip
    parser.add_argument("--worlds", default="default,100k", help="default,100k")
    parser.add_argument("--workers", default="1,2", help="1,2")
    parser.add_argument(
        "--out", type=Path, help="report path [bench/RESULTS.md; RESULTS.quick.md if partial]"
    )
    opts = parser.parse_args()
    opts.only = set(opts.only.split(","))
    opts.worlds = opts.worlds.split(",")
    opts.workers = [int(w) for w in opts.workers.split(",")]
    if unknown := opts.only - set(SECTIONS) or set(opts.worlds) - set(WORLDS) or set(opts.workers) - {1, 2}:
        parser.error(f"unknown: {unknown}")
    opts.seconds, opts.warm, opts.pages = (3, 1, 10) if opts.quick else (10, 2, 40)
    opts.s4_concurrency = 8
    partial = opts.quick or opts.only != set(SECTIONS) or len(opts.worlds) < 2 or len(opts.workers) < 2
    opts.out = opts.out or BENCH / ("RESULTS.quick.md" if partial else "RESULTS.md")
    opts.partial = partial
    return opts


def main() -> None:
    opts = parse_args()
    started = time.perf_counter()
    results: dict = {
        "machine": machine(),
        "runs": {},
        "rss": {},
        "measures": {},
        "quick": opts.quick,
        "partial": opts.partial,
        "seconds": opts.seconds,
        "threads": THREADS,
        "connections": CONNECTIONS,
        "s4_concurrency": opts.s4_concurrency,
        "s3_filter": S3_FILTER,
        "pages": opts.pages,
        "command": " ".join(["python bench/run.py", *sys.argv[1:]]),
    }
    if opts.wait_quiet:
        results["idle_before"] = wait_quiet(opts.wait_quiet)
        started = time.perf_counter()  # the harness's own time, without the wait
        results["machine"]["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    DATA.mkdir(exist_ok=True)
    dbs = {world: DATA / f"{world}.db" for world in WORLDS}
    loads = opts.only & {"s1", "s2", "s3", "s4", "refs", "reset"}
    for world in WORLDS:
        needed = world == "default" or (world in opts.worlds and (loads or "start" in opts.only))
        if needed and ("seed" in opts.only or not dbs[world].exists()):
            log(f"seeding the {world} world")
            results["measures"][f"seed|{world}"] = seconds = seed(dbs[world], WORLDS[world])
            log(f"  {seconds:.1f} s")
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        work = Path(tmp)
        if "start" in opts.only:
            log("start to first 200")
            note_load(results, "start")
            for world in [w for w in WORLDS if w == "default" or w in opts.worlds]:
                samples = []
                for _ in range(3 if opts.quick else 10 if world == "default" else 5):
                    server = servers.start_sandbox(
                        dbs[world], WORLDS[world], 1, work / "start.log", cpus="0-1"
                    )
                    samples.append(server.start_seconds)
                    server.stop()
                results["measures"][f"start|{world}"] = {
                    "median_s": statistics.median(samples),
                    "count": len(samples),
                }
                log(f"  {world} world: {results['measures'][f'start|{world}']}")
            fresh = servers.start_sandbox(work / "fresh.db", 400, 1, work / "start.log", cpus="0-1")
            fresh.stop()
            results["measures"]["start|default"]["fresh_s"] = fresh.start_seconds
            log(f"  fresh database: {fresh.start_seconds:.2f} s")
        if "fixture" in opts.only:
            log("pytest fixture overhead (tests/plugin -k hundred)")
            note_load(results, "fixture")
            results["measures"]["fixture"] = fixture_overhead()
            log(f"  {results['measures']['fixture']}")
        if loads:
            worlds = sorted(set(opts.worlds) | ({"default"} if "refs" in opts.only else set()), reverse=True)
            for world in worlds:
                for workers in opts.workers if world in opts.worlds else [1]:
                    guarded(
                        results, f"{workers}w {world}", sandbox_config, workers, world, dbs[world], work, opts
                    )
            if "refs" in opts.only and "ids" in results:
                guarded(results, "references", references, dbs["default"], work, opts)
        if "tenants" in opts.only:
            guarded(results, "tenants", tenant_measures, dbs["default"], work, opts)
        if "postgres" in opts.only:
            guarded(results, "postgres", postgres_measures, work, opts)
    results["wall_seconds"] = time.perf_counter() - started
    for key in ("s1_body", "openapi"):
        results.pop(key, None)
    raw = BENCH / (".last-run.quick.json" if opts.partial else ".last-run.json")
    raw.write_text(json.dumps(results, indent=1), encoding="utf-8")
    report.write(results, opts.out)
    log(f"wrote {opts.out} in {results['wall_seconds']:.0f} s")


if __name__ == "__main__":
    main()
