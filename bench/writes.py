"""S4, the write path: CONCURRENCY async workers each repeat price fix + buy (0.01 g GAU from a funded
customer's cash) for SECONDS; prints one JSON line with pairs/s and pair latency p50/p99.

Each worker has its own httpx client and DigestAuth, so its own nonce with nc in order.
`python bench/writes.py URL SECONDS CONCURRENCY TAG` (run pinned to the load CPU by run.py).

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


def setup_customer(url: str, customer: str) -> None:
    auth = httpx.DigestAuth("demo", "demo-secret")
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


async def worker(url: str, customer: str, tag: str, index: int, stop: float, out: dict) -> None:
    auth = httpx.DigestAuth("demo", "demo-secret")
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


async def drive(url: str, seconds: float, concurrency: int, customer: str, tag: str) -> dict:
    out: dict = {"latencies": [], "errors": {}}
    started = time.perf_counter()
    stop = started + seconds
    await asyncio.gather(*(worker(url, customer, tag, i, stop, out) for i in range(concurrency)))
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


def main() -> None:
    url, seconds, concurrency, tag = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    customer = f"{tag}-customer"[:40]
    if tag != "floor":
        setup_customer(url, customer)
    print(json.dumps(asyncio.run(drive(url, seconds, concurrency, customer, tag))))


if __name__ == "__main__":
    main()
