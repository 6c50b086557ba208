"""The framework floors, served by uvicorn exactly as `minted-sandbox serve` serves the sandbox with one
worker (`uvicorn.run(app, host=..., port=..., log_level="info")`: same interpreter, same http/loop
implementations, httptools and uvloop where installed as `uvicorn[standard]` installs them, access log
on at the default level).

- Read floor: one route returning the exact bytes S1 (Get Order) returns.
- Write floor (`--db`): `POST /write` commits one row to SQLite per request, in WAL mode with
  synchronous=NORMAL as the sandbox's store does, on one connection: the least a request that writes
  can cost on this stack."""

from __future__ import annotations

import argparse
import sqlite3
from pathlib import Path

import uvicorn
from fastapi import FastAPI, Request, Response


def create_app(body: bytes, db: Path | None = None) -> FastAPI:
    app = FastAPI()

    # async, as the sandbox's Get Order is: a sync route would add a thread-pool hop and flatter the ratio.
    @app.get("/partner/order/{external_order_id}")
    async def get_order(external_order_id: str) -> Response:
        return Response(content=body, media_type="application/json")

    @app.get("/")
    def ready() -> dict:
        return {"ok": True}

    if db is not None:
        connection = sqlite3.connect(db, isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("CREATE TABLE IF NOT EXISTS write (id INTEGER PRIMARY KEY, body BLOB NOT NULL)")

        # On the event loop, one connection: the commits are serialised without a lock or a thread hop.
        @app.post("/write")
        async def write(request: Request) -> Response:
            payload = await request.body()  # before BEGIN: nothing awaits inside the transaction
            connection.execute("BEGIN IMMEDIATE")
            cursor = connection.execute("INSERT INTO write (body) VALUES (?)", (payload,))
            connection.execute("COMMIT")
            return Response(content=b'{"id":%d}' % cursor.lastrowid, media_type="application/json")

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--body", type=Path, required=True, help="file holding the JSON bytes to answer")
    parser.add_argument("--db", type=Path, help="SQLite file for the write floor's POST /write")
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args()
    uvicorn.run(
        create_app(args.body.read_bytes(), args.db),
        host="127.0.0.1",
        port=args.port,
        log_level=args.log_level,
    )


if __name__ == "__main__":
    main()
