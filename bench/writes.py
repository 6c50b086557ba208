"""S4, the write path: CONCURRENCY async workers each repeat price fix + buy (0.01 g GAU from a funded
customer's cash) for SECONDS; prints one JSON line with pairs/s and pair latency p50/p99.

Each worker has its own httpx client and DigestAuth, so its own nonce with nc in order.
`python bench/writes.py URL SECONDS CONCURRENCY TAG [tenants]` (run pinned to the load CPU by run.py).
With `tenants`, each worker first creates a tenant of its own (POST /_sandbox/tenants) and buys there
with its partner's credentials; afterwards each tenant's ledger invariants are checked and the tenants
removed.

With TAG `floor`, URL is the write floor (bench/floor.py --db): a pair is two `POST /write` with the
same bodies, each committing one row, from the same workers and clients (the floor sends no challenge,
so no Authorization header either).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time

import httpx

HEADERS = {"x-client-id": "web"}


DEMO = ("demo", "demo-secret")


def setup_customer(url: str, customer: str, credentials: tuple[str, str] = DEMO) -> None:
    auth = httpx.DigestAuth(*credentials)
    with httpx.Client(base_url=url, auth=auth, headers=HEADERS, timeout=30) as client:
        for method, path, body in (
            (
                "POST",
                "/partner/customer",
                {
                    "external_id": customer,
                    "firstname": "Deniz",
                    "lastname": "Aydın",
                    "email": "deniz@example.com",
                    "phone": "+905321112233",
                    "identity_number": "10000000146",
                },
            ),
            (
                "POST",
                "/partner/customer/kyc",
                {"customer_external_id": customer, "identity_number": "10000000146"},
            ),
            ("PATCH", f"/partner/balance/customer/{customer}", {"amount": 100_000_000}),
        ):
            response = client.request(method, path, json=body)
            assert response.status_code == 200, response.text


async def worker(
    url: str, customer: str, tag: str, index: int, stop: float, out: dict, credentials: tuple[str, str]
) -> None:
    auth = httpx.DigestAuth(*credentials)
    async with httpx.AsyncClient(base_url=url, auth=auth, headers=HEADERS, timeout=30) as client:
        n = 0
        floor = tag == "floor"
        while time.perf_counter() < stop:
            started = time.perf_counter()
            fix = await client.post(
                "/write" if floor else "/partner/pricefix",
                json={"type": "digital", "customer_external_id": customer},
            )
            ok = fix.status_code == 200
            if ok:
                buy = await client.post(
                    "/write" if floor else "/partner/order/digital/buy",
                    json={
                        "price_token": fix.json()["id"] if floor else fix.json()["data"]["token"],
                        "external_id": f"{tag}-{index}-{n}",
                        "customer": {"external_id": customer},
                        "items": [{"sku": "GAU", "amount": 0.01}],
                    },
                )
                ok = buy.status_code == 200
                status = buy.status_code
            else:
                status = fix.status_code
            if ok:
                out["latencies"].append(time.perf_counter() - started)
            else:
                out["errors"][str(status)] = out["errors"].get(str(status), 0) + 1
            n += 1


async def drive(
    url: str, seconds: float, concurrency: int, customer: str, tag: str, logins: list[tuple[str, str]]
) -> dict:
    out: dict = {"latencies": [], "errors": {}}
    started = time.perf_counter()
    stop = started + seconds
    await asyncio.gather(
        *(worker(url, customer, tag, i, stop, out, logins[i % len(logins)]) for i in range(concurrency))
    )
    elapsed = time.perf_counter() - started
    lat = sorted(out["latencies"])
    p99 = lat[max(int(len(lat) * 0.99) - 1, 0)] if lat else float("nan")
    return {
        "pairs": len(lat),
        "seconds": elapsed,
        "rate": len(lat) / elapsed,
        "p50_ms": statistics.median(lat) * 1000 if lat else float("nan"),
        "p99_ms": p99 * 1000,
        "failed_pairs": sum(out["errors"].values()),
        "codes": out["errors"],
        "concurrency": concurrency,
    }


def tenants(url: str, count: int) -> list[tuple[str, tuple[str, str]]]:
    """`count` new tenants: (id, its demo partner's credentials)."""
    made = []
    for _ in range(count):
        data = httpx.post(f"{url}/_sandbox/tenants", timeout=60).raise_for_status().json()["data"]
        demo = next(p for p in data["partners"] if p["partner"] == "demo")
        made.append((data["tenant"], (demo["username"], demo["password"])))
    return made


def main() -> None:
    url, seconds, concurrency, tag = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    customer = f"{tag}-customer"[:40]
    own = tenants(url, concurrency) if sys.argv[5:] == ["tenants"] else []
    logins = [credentials for _, credentials in own] or [DEMO]
    if tag != "floor":
        for credentials in logins:
            setup_customer(url, customer, credentials)
    result = asyncio.run(drive(url, seconds, concurrency, customer, tag, logins))
    if own:
        reports = [
            httpx.get(f"{url}/_sandbox/invariants", headers={"X-Sandbox-Tenant": tenant}, timeout=60).json()
            for tenant, _ in own
        ]
        result["tenants"] = len(own)
        result["invariants_clean"] = all(r["success"] and not r["data"]["violations"] for r in reports)
        for tenant, _ in own:
            httpx.delete(f"{url}/_sandbox/tenants/{tenant}", timeout=60).raise_for_status()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
