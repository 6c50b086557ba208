"""Write bench/RESULTS.md from the results run.py gathered. They are also kept in bench/.last-run.json,
so `python bench/report.py` re-renders the last full run (partial runs keep .last-run.quick.json).
The "Profile and changes" section is bench/PROFILE.md, included verbatim."""

from __future__ import annotations

import json
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
NA = "n/a"
BUSY = 0.05  # other processes using more than this share of the machine during a run: flagged


def _f(value, digits: int = 1) -> str:
    return NA if value is None else f"{value:,.{digits}f}"


def _flags(run: dict) -> list[str]:
    problems = []
    if run.get("non2xx") or run.get("failed_pairs"):
        problems.append(f"{run.get('non2xx') or run.get('failed_pairs')} non-2xx {run.get('codes')}")
    if run.get("socket_errors"):
        problems.append(f"{run['socket_errors']} socket errors")
    if run.get("exhausted"):
        problems.append(f"request list exhausted {run['exhausted']}× (replays refused)")
    return problems


def _bad(run: dict) -> str:
    count = run.get("non2xx", run.get("failed_pairs", 0)) + run.get("socket_errors", 0)
    return f"**{count}** ⚠" if count or run.get("exhausted") else "0"


def _cpu(run: dict) -> str:
    share = run.get("other_cpu")
    return NA if share is None else f"{share:.0%}" + (" ⚠" if share > BUSY else "")


def _ratio(a: dict | None, b: dict | None) -> str:
    return f"{a['rate'] / b['rate']:.2f}×" if a and b and b["rate"] else NA


def _met(ok: bool | None) -> str:
    return NA if ok is None else ("met" if ok else "**not met**")


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


NAMES = {"floor": "floor", "prism": "Prism", "wiremock": "WireMock"}
REQUESTS = "req/s | p50 ms | p99 ms | non-2xx"
PAIRS = "pairs/s | pair p50 ms | pair p99 ms | failed pairs"
TARGETS = {"floor": 0.8, "prism": 3, "wiremock": 0.5}  # S1 req/s at least this many times the reference's


def _rounds(rounds: list[dict]) -> list[str]:
    """S1 on the sandbox (1 worker, default world), the floor and Prism, alternating on servers started
    side by side."""
    if not rounds:
        return []
    peers = [name for name in NAMES if name in rounds[0]]
    names = [f"the {NAMES[name]}" if name == "floor" else NAMES[name] for name in peers]
    names = " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
    out = [
        "",
        f"### S1: the sandbox, {names} in {len(rounds)} alternating rounds",
        "",
        "The servers run side by side on CPU 0 and take turns under the same wrk runs (each run after "
        "its own warm-up), so each ratio compares figures taken seconds apart. The targets below use "
        "the medians of these rounds; the reference rows above are their median rounds.",
        "",
        "| round | sandbox req/s | p99 ms | "
        + " | ".join(f"{NAMES[n]} req/s | p99 ms | sandbox/{NAMES[n]}" for n in peers)
        + " | non-2xx | other CPU |",
        "|---|---|---|" + "---|---|---|" * len(peers) + "---|---|",
    ]
    for number, each in enumerate(rounds, 1):
        a = each["sandbox"]
        cells = [f"{_f(a['rate'], 0)} | {_f(a['p99_ms'], 2)}"]
        cells += [
            f"{_f(each[n]['rate'], 0)} | {_f(each[n]['p99_ms'], 2)} | {_ratio(a, each[n])}" for n in peers
        ]
        runs = [a, *(each[n] for n in peers)]
        out.append(
            f"| {number} | {' | '.join(cells)} | {' / '.join(_bad(r) for r in runs)} | "
            f"{' / '.join(_cpu(r) for r in runs)} |"
        )
    m = round_medians(rounds)
    cells = [f"{_f(m['sandbox']['rate'], 0)} | {_f(m['sandbox']['p99_ms'], 2)}"]
    cells += [f"{_f(m[n]['rate'], 0)} | {_f(m[n]['p99_ms'], 2)} | {m[n]['ratio']:.2f}×" for n in peers]
    out.append(f"| median | {' | '.join(cells)} | | |")
    return out


def round_medians(rounds: list[dict]) -> dict:
    """Per server: the median req/s and p99 over the rounds, and for the references the median of the
    rounds' sandbox/reference ratios."""
    medians = {}
    for name in rounds[0]:
        runs = [each[name] for each in rounds]
        medians[name] = {
            "rate": _median([run["rate"] for run in runs]),
            "p99_ms": _median([run["p99_ms"] for run in runs]),
        }
        if name != "sandbox":
            medians[name]["ratio"] = _median(
                [each["sandbox"]["rate"] / each[name]["rate"] for each in rounds]
            )
    return medians


def _scenario_targets(r: dict, configs: list[tuple[str, ...]]) -> list[tuple[str, str, str, str]]:
    """The targets between scenarios of one configuration, S4's, and two workers against one."""
    runs, rows = r["runs"], []
    for workers, world in configs:
        where = f"{workers} worker(s), {world} world"
        s1, s2, s3 = (runs.get(f"{scenario}|sandbox|{workers}|{world}") for scenario in ("s1", "s2", "s3"))
        if s1 and s2:
            rows.append(
                (f"S2 req/s vs S1 ({where})", _ratio(s2, s1), "≥ 0.90×", _met(s2["rate"] >= 0.9 * s1["rate"]))
            )
        if s1 and s3:
            share = 0.4 if world == "default" else 0.3
            last = (r.get("s3_pages") or {}).get(world)
            pages = f"random pages 1–{last:,}" if last else "random pages"
            rows.append(
                (
                    f"S3 req/s vs S1 ({where}; {pages} of `{r['s3_filter']}`, deep ones included)",
                    _ratio(s3, s1),
                    f"≥ {share:.2f}×",
                    _met(s3["rate"] >= share * s1["rate"]),
                )
            )
        if s4 := runs.get(f"s4|sandbox|{workers}|{world}"):
            floor = runs.get("s4|floor|1|default")
            versus = f"; {_ratio(s4, floor)} the write floor" if floor else ""
            rows.append(
                (
                    f"S4 pairs/s and pair p99 at {r['s4_concurrency']} clients ({where})",
                    f"{s4['rate']:.1f} pairs/s, p99 {s4['p99_ms']:.0f} ms{versus}",
                    "≥ 200 pairs/s, p99 < 100 ms",
                    _met(s4["rate"] >= 200 and s4["p99_ms"] < 100),
                )
            )
    for world in ("default", "100k"):
        for scenario in ("s1", "s2", "s3"):
            one, two = runs.get(f"{scenario}|sandbox|1|{world}"), runs.get(f"{scenario}|sandbox|2|{world}")
            if one and two:
                rows.append(
                    (
                        f"`--workers 2` vs one worker, {scenario.upper()} req/s, {world} world",
                        _ratio(two, one),
                        "≥ 1.00×",
                        _met(two["rate"] >= one["rate"]),
                    )
                )
    return rows


def _tenant_targets(ms: dict) -> list[tuple[str, str, str, str]]:
    """Issue 16's targets: tenants created and reset fast, many held in little memory, and buying in
    tenants of their own about as fast as in one world."""
    rows = []
    if created := ms.get("tenants|create"):
        rows.append(
            (
                "`POST /_sandbox/tenants`, default-size world, median of 20 (max)",
                f"{created['median_ms']:.1f} ms ({created['max_ms']:.1f} ms)",
                "< 100 ms",
                _met(created["median_ms"] < 100),
            )
        )
    if reset := ms.get("tenants|reset"):
        rows.append(
            (
                "`POST /_sandbox/reset` of a tenant (X-Sandbox-Tenant), median of 20 (max)",
                f"{reset['median_ms']:.1f} ms ({reset['max_ms']:.1f} ms)",
                "< 20 ms",
                _met(reset["median_ms"] < 20),
            )
        )
    if held := ms.get("tenants|100"):
        rss = held["peak_rss_mb"]["total"]
        rows.append(
            (
                f"server peak RSS with {held['tenants']} tenants open (after the tenant S4 runs); "
                f"idle CPU {held['idle_cpu']:.1%} of a core",
                f"{rss:.0f} MB",
                "< 300 MB",
                _met(rss < 300 and held["tenants"] >= 100),
            )
        )
    if pairs := ms.get("tenants|s4"):
        one = _median([run["rate"] for run in pairs["one"]])
        own = _median([run["rate"] for run in pairs["own"]])
        clean = all(run.get("invariants_clean") for run in pairs["own"])
        rows.append(
            (
                f"S4, 8 clients each in a tenant of its own vs all in one world (medians of "
                f"{len(pairs['own'])} alternating runs: {own:.1f} vs {one:.1f} pairs/s); invariants "
                f"clean in every tenant: {'yes' if clean else 'NO'}",
                f"{own / one:.2f}×" if one else NA,
                "≥ 0.80×, clean",
                _met(bool(one) and own / one >= 0.8 and clean),
            )
        )
    return rows


def _postgres_targets(ms: dict, runs: dict) -> list[tuple[str, str, str, str]]:
    """Issue 17's targets: PostgreSQL on this machine against SQLite in the same run."""
    rows = []
    s1, sqlite_s1 = ms.get("postgres|s1"), runs.get("s1|sandbox|1|default")
    if s1 and sqlite_s1:
        rows.append(
            (
                f"S1 on PostgreSQL vs on SQLite ({s1['rate']:.0f} vs {sqlite_s1['rate']:.0f} req/s)",
                _ratio(s1, sqlite_s1),
                "≥ 0.70×",
                _met(s1["rate"] >= 0.7 * sqlite_s1["rate"]),
            )
        )
    s4, sqlite_s4 = ms.get("postgres|s4"), runs.get("s4|sandbox|1|default")
    if s4 and sqlite_s4:
        rows.append(
            (
                f"S4 through two replicas on PostgreSQL vs one server on SQLite ({s4['rate']:.1f} vs "
                f"{sqlite_s4['rate']:.1f} pairs/s; p99 {s4['p99_ms']:.0f} ms, failed pairs "
                f"{s4['failed_pairs']})",
                f"{s4['rate'] / sqlite_s4['rate']:.2f}×",
                "≥ 1.50×, p99 < 100 ms",
                _met(s4["rate"] >= 1.5 * sqlite_s4["rate"] and s4["p99_ms"] < 100),
            )
        )
    if reset := ms.get("postgres|reset"):
        rows.append(
            (
                "`POST /_sandbox/reset` of the default world on PostgreSQL, median of 20 (copy only)",
                f"{reset['trip_ms']:.1f} ms ({reset['copy_ms']:.1f} ms)",
                "< 100 ms",
                _met(reset["trip_ms"] < 100),
            )
        )
    return rows


def render(r: dict) -> str:
    m, runs = r["machine"], r["runs"]
    configs = sorted(
        {tuple(k.split("|")[2:]) for k in runs if "|sandbox|" in k}, key=lambda c: (c[1] != "default", c[0])
    )
    floor, prism = runs.get("s1|floor|1|default"), runs.get("s1|prism|1|default")
    wiremock = runs.get("s1|wiremock|1|default")
    out = ["# Benchmark results", ""]
    if r.get("quick") or r.get("partial"):
        out += [f"> Partial or quick run (`{r['command']}`): not the reference figures.", ""]
    out += [
        f"Machine: {m['cores']} cores ({m['cpu']}), Python {m['python']}, {m['platform']}; "
        f"{m['wrk']}; Prism {m['prism']} on Node {m['node']}; WireMock {m.get('wiremock', NA)}; "
        f"uvicorn with {m.get('server_stack', NA)}. Run {m['date']}, "
        f"whole harness {r['wall_seconds'] / 60:.1f} min.",
        "",
        f"Load average (1 min) when each measure started: {r.get('loads', NA)}. Each table's "
        '"other CPU" is the share of both CPUs that processes other than the server and the load '
        f"generator used during that run (from /proc/stat); above {BUSY:.0%} it is flagged ⚠ and the "
        "row's figures understate the sandbox.",
        "",
        "Reproduce on an otherwise idle machine: `make bench` (= `.venv/bin/python bench/run.py`; "
        "`make bench BENCH_ARGS='--wait-quiet 600'` first waits for idle; `--quick`, `--only s1,refs`, "
        "`--worlds default`, `--workers 1` for shorter runs, written to `bench/RESULTS.quick.md`).",
        "",
        "## Method",
        "",
        "- Servers start as users start them: `minted-sandbox serve` with default settings (log level "
        "`info`, access log on; uvicorn's httptools parser and uvloop event loop, which the "
        "`uvicorn[standard]` dependency installs and uvicorn picks when present) plus `--db`, `--orders` "
        "and a free port; "
        "`--workers 2` for the two-worker rows. The default world has 400 orders, the 100k world "
        "100,000 (seeded once with `minted-sandbox seed`, reset to pristine before each configuration).",
        "- `serve` → first 200: a fresh `minted-sandbox serve` process until its first Digest-authenticated "
        "200 (`/partner/orders/statuses`), unpinned (both cores, as users run it), on the existing "
        "default and 100k databases.",
        "- Pinning (`taskset`): one sandbox worker, the FastAPI floors, Prism and WireMock on CPU 0; wrk "
        "and the "
        "S4 driver on CPU 1. With `--workers 2` the sandbox gets CPUs 0-1 and shares CPU 1 with wrk "
        "(the machine has no third core), so its rows understate what two free cores give.",
        f"- wrk `-t{r['threads']} -c{r['connections']} -d{r['seconds']}s --latency`, after a warm-up run. "
        "One wrk thread: on one CPU a second thread only time-slices. Its connections share one nonce "
        "and reach the Digest check out of nc order (by about the requests in flight); the server "
        "accepts each nc once, anywhere within 4,096 above the lowest one not yet seen.",
        "- Digest is real: per run and wrk thread the harness fetches a fresh nonce (a 401), then "
        "precomputes `Authorization` (MD5, qop=auth, nc counting up from 1) for every request of the run "
        "(lists hold 3× the warm-up's rate, at least 5,000/s, for the whole run). Every non-2xx is "
        "counted in wrk's `response()` and shown; a run with any is flagged ⚠. The references get the "
        "same headers (they check none).",
        "- S1 `GET /partner/order/{guid}` over random seeded guids; S2 `POST /partner/order` "
        f'`{{"order_code": …}}` over random seeded codes; S3 `GET /partner/orders?page=…&total=30&'
        f"{r['s3_filter']}` over random pages of that filter (ids from {r.get('pages', 40)} random Get "
        "Orders pages of partner `demo`, `random.Random(42)`); S4 price fix + buy (0.01 g GAU, a funded "
        f"customer's cash) pairs from {r['s4_concurrency']} async httpx workers, each with its own "
        "Digest session.",
        "- References, same pinning: the FastAPI read floor (`bench/floor.py`: one async route "
        "returning S1's exact JSON bytes, `uvicorn.run` with the sandbox's flags and stack), Stoplight "
        "Prism (`prism mock` of the sandbox's own `/openapi.json`, default options) and WireMock 3 "
        "(standalone jar from the npm package `wiremock`, one stub answering S1's exact bytes, "
        "`--no-request-journal`, warmed up by 30 s of S1 load, discarded), all driven with S1's requests. "
        "WireMock needs Java (`apt-get install -y default-jre-headless`); without it its rows say why "
        "and the rest runs.",
        "- The write floor: the same app's `POST /write`, an async route committing one row per request "
        "to SQLite (WAL, synchronous=NORMAL, as the sandbox's store) on one connection, driven by S4's "
        "own driver (same 8 workers and clients) with a pair being two such writes, as S4's price fix + "
        "buy is two. Each S4 row's \"vs write floor\" is its pairs/s over the write floor's pairs/s. "
        "The floor's rate is bounded by that Python driver as much as by the server: on one CPU the "
        "8 httpx clients use most of it at ~500 pairs/s.",
        "",
    ]
    out += [
        "## S1: Get Order by guid",
        "",
        "| server | workers | world | req/s | p50 ms | p99 ms | non-2xx | sandbox/Prism | sandbox/floor "
        "| sandbox/WireMock | other CPU |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for workers, world in configs:
        run = runs.get(f"s1|sandbox|{workers}|{world}")
        if run:
            out.append(
                f"| sandbox | {workers} | {world} | {_f(run['rate'], 0)} | {_f(run['p50_ms'], 2)} | "
                f"{_f(run['p99_ms'], 2)} | {_bad(run)} | {_ratio(run, prism)} | {_ratio(run, floor)} | "
                f"{_ratio(run, wiremock)} | {_cpu(run)} |"
            )
    for name, run in (("FastAPI floor", floor), ("Prism", prism), ("WireMock", wiremock)):
        if run:
            out.append(
                f"| {name} | 1 | default | {_f(run['rate'], 0)} | {_f(run['p50_ms'], 2)} | "
                f"{_f(run['p99_ms'], 2)} | {_bad(run)} | | | | {_cpu(run)} |"
            )
        else:
            out.append(f"| {name} | 1 | default | {NA} | | | | | | | |")
    if r.get("prism_error"):
        out += ["", f"Prism unavailable: {r['prism_error']}"]
    if r.get("wiremock_error"):
        out += ["", f"WireMock unavailable, its rows and target n/a: {r['wiremock_error']}"]
    if r.get("prism_check"):
        c, sec = r["prism_check"], r.get("prism_check_secured") or {}
        out += [
            "",
            f"Prism note: mocking the sandbox's `/openapi.json` as is, Prism answered HTTP "
            f"{sec.get('status', NA)} to a correct Digest request: its digest check wants every "
            "auth-param quoted and `[a-z0-9]*`, which RFC 7616's unquoted `algorithm`/`qop`/`nc` and a "
            "`uri` with `/` fail. So Prism mocks that document minus its `security` requirements (same "
            f"requests, same headers) and answered HTTP {c['status']}, {c['bytes']} bytes: a mock built "
            "from the schema, not the order (the sandbox's answers are real orders).",
        ]
    out += _rounds(r.get("paired") or [])
    out.append("")
    tables = (  # scenario, title, the columns after workers and world, decimals of the rate
        ("s2", "S2: Get Order (Alternative), `POST /partner/order` by order_code", REQUESTS, 0),
        ("s3", f"S3: Get Orders, 30 per page, `{r['s3_filter']}`", REQUESTS, 0),
        ("s4", "S4: write path, price fix + buy pairs", PAIRS, 1),
    )
    write_floor = runs.get("s4|floor|1|default")
    for scenario, title, columns, digits in tables:
        against = " vs write floor |" if scenario == "s4" else ""
        header = f"| workers | world | {columns} |{against} other CPU |"
        out += [f"## {title}", "", header, "|---|---|---|---|---|---|" + "---|" * (2 if against else 1)]
        for workers, world in configs:
            if run := runs.get(f"{scenario}|sandbox|{workers}|{world}"):
                versus = f" {_ratio(run, write_floor)} |" if against else ""
                out.append(
                    f"| {workers} | {world} | {_f(run['rate'], digits)} | {_f(run['p50_ms'], 2)} | "
                    f"{_f(run['p99_ms'], 2)} | {_bad(run)} |{versus} {_cpu(run)} |"
                )
        if against and write_floor:
            run = write_floor
            out.append(
                f"| write floor | | {_f(run['rate'], digits)} | {_f(run['p50_ms'], 2)} | "
                f"{_f(run['p99_ms'], 2)} | {_bad(run)} | | {_cpu(run)} |"
            )
        elif against:
            out.append(f"| write floor | | {NA} | | | | | |")
        out.append("")
    out += ["## Other measures and targets", "", "| measure | value | target | |", "|---|---|---|---|"]
    rows = []
    s1 = runs.get("s1|sandbox|1|default")
    where = "1 worker, default world"
    ratios = {}  # reference -> sandbox/reference req/s
    for name in NAMES:
        if s1 and (run := runs.get(f"s1|{name}|1|default")) and run["rate"]:
            ratios[name] = s1["rate"] / run["rate"]
    if r.get("paired"):  # the medians of the alternating rounds
        m = round_medians(r["paired"])
        s1 = m["sandbox"]
        where += f", median of {len(r['paired'])} rounds"
        ratios = {name: m[name]["ratio"] for name in NAMES if name in m}
    shown = {name: f"{ratios[name]:.2f}×" if name in ratios else NA for name in NAMES}
    met = {name: _met(ratios[name] >= TARGETS[name]) if name in ratios else NA for name in NAMES}
    if s1:
        rows.append((f"S1 req/s vs Prism ({where})", shown["prism"], "≥ 3×", met["prism"]))
        rows.append((f"S1 req/s vs FastAPI read floor ({where})", shown["floor"], "≥ 0.80×", met["floor"]))
        rows.append((f"S1 req/s vs warm WireMock ({where})", shown["wiremock"], "≥ 0.50×", met["wiremock"]))
        rows.append(
            (
                f"S1 p99 at 32 connections ({where})",
                f"{s1['p99_ms']:.1f} ms",
                "< 15 ms",
                _met(s1["p99_ms"] < 15),
            )
        )
    rows += _scenario_targets(r, configs)
    ms = r["measures"]
    for world, target in (("default", 20), ("100k", None)):
        if reset := ms.get(f"reset|{world}"):
            rows.append(
                (
                    f"`POST /_sandbox/reset`, {world} world, median of {reset['count']}: round trip "
                    "(server's copy)",
                    f"{reset['trip_ms']:.1f} ms ({reset['copy_ms']:.1f} ms)",
                    f"< {target} ms" if target else "",
                    _met(reset["trip_ms"] < target) if target else "",
                )
            )
    for world in ("default", "100k"):
        if start := ms.get(f"start|{world}"):
            rows.append(
                (
                    f"`serve` → first 200, existing {world}-world database, median of {start['count']}",
                    f"{start['median_s']:.2f} s",
                    "< 2 s",
                    _met(start["median_s"] < 2),
                )
            )
    if start := ms.get("start|default"):
        rows.append(
            ("`serve` → first 200, fresh database (seeds first), once", f"{start['fresh_s']:.2f} s", "", "")
        )
    if fixture := ms.get("fixture"):
        if "median_ms" in fixture:
            rows.append(
                (
                    f"pytest `minted_sandbox` fixture overhead per test, median of {fixture['tests']}",
                    f"{fixture['median_ms']:.1f} ms",
                    "< 25 ms",
                    _met(fixture["median_ms"] < 25),
                )
            )
        else:
            rows.append(("pytest fixture overhead", f"failed: {fixture['error'][-200:]!r}", "< 25 ms", NA))
    for key, rss in sorted(r["rss"].items(), key=lambda item: (item[0].split("|")[1] != "100k", item[0])):
        workers, world = key.split("|")
        target = world == "100k" and workers == "1"
        value = f"{rss['total']:.0f} MB"
        if rss["processes"] > 1:
            value += f" over {rss['processes']} processes (largest {rss['largest']:.0f} MB)"
        label = f"server peak RSS (VmHWM), {workers} worker(s), {world} world, through S1–S4"
        rows.append((label, value, "< 200 MB" if target else "", _met(rss["total"] < 200) if target else ""))
    rows += _tenant_targets(ms)
    rows += _postgres_targets(ms, r["runs"])
    for world in ("default", "100k"):
        if (seconds := ms.get(f"seed|{world}")) is not None:
            rows.append((f"`minted-sandbox seed`, {world} world", f"{seconds:.1f} s", "", ""))
    out += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    if s1 and floor:
        out += [
            "",
            f"Reading the latency target: wrk keeps {r['connections']} requests in flight, so a run's "
            f"mean latency is about {r['connections']} / throughput (Little's law); p99 under 15 ms at "
            f"{r['connections']} connections needs well above {r['connections'] / 0.015:,.0f} req/s. The "
            f"FastAPI floor itself measured {floor['rate']:,.0f} req/s with p99 {floor['p99_ms']:.1f} ms.",
        ]
    flagged = [f"- {key}: {', '.join(_flags(run))}" for key, run in runs.items() if _flags(run)]
    for number, pair in enumerate(r.get("paired") or [], 1):
        flagged += [f"- round {number} {k}: {', '.join(_flags(v))}" for k, v in pair.items() if _flags(v)]
    busy = [f"{key} {run['other_cpu']:.0%}" for key, run in runs.items() if run.get("other_cpu", 0) > BUSY]
    if busy:
        flagged.append(
            f"- other processes used over {BUSY:.0%} of the CPUs during {len(busy)} of {len(runs)} runs "
            f"({', '.join(busy)}): those figures understate the sandbox"
        )
    flagged += [f"- failed: {error}" for error in r.get("errors", [])]
    out += ["", "## Flags", ""]
    out += flagged or [
        "No run had a non-2xx response, a socket error, an exhausted request list, a failure or a busy "
        "machine."
    ]
    profile = BENCH / "PROFILE.md"
    out += [
        "",
        "## Profile and changes",
        "",
        profile.read_text(encoding="utf-8").strip() if profile.exists() else "(bench/PROFILE.md missing)",
        "",
    ]
    return "\n".join(out)


def write(results: dict, path: Path) -> None:
    path.write_text(render(results), encoding="utf-8")


if __name__ == "__main__":  # `python bench/report.py [RAW.json [OUT.md]]`
    raw = Path(sys.argv[1]) if len(sys.argv) > 1 else BENCH / ".last-run.json"
    target = Path(sys.argv[2]) if len(sys.argv) > 2 else BENCH / "RESULTS.md"
    write(json.loads(raw.read_text(encoding="utf-8")), target)
