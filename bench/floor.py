"""The framework floor: a minimal FastAPI app whose one route returns the exact bytes S1 (Get Order)
returns, served by uvicorn exactly as `minted-sandbox serve` serves the sandbox with one worker
(`uvicorn.run(app, host=..., port=..., log_level="info")`: same interpreter, same http/loop
implementations, access log on at the default level)."""

from __future__ import annotations

import argparse
from pathlib import Path

import uvicorn
from fastapi import FastAPI, Response


def create_app(body: bytes) -> FastAPI:
    app = FastAPI()

    # async, as the sandbox's Get Order is: a sync route would add a thread-pool hop and flatter the ratio.
    @app.get("/partner/order/{external_order_id}")
    async def get_order(external_order_id: str) -> Response:
        return Response(content=body, media_type="application/json")

    @app.get("/")
    def ready() -> dict:
        return {"ok": True}

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--body", type=Path, required=True, help="file holding the JSON bytes to answer")
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args()
    uvicorn.run(
        create_app(args.body.read_bytes()), host="127.0.0.1", port=args.port, log_level=args.log_level
    )


if __name__ == "__main__":
    main()
