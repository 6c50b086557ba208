"""`minted-sandbox`: serve the sandbox, (re)build or reset its seeded world, move an order, export the
world as JSON fixtures, check that a running sandbox and its store answer (for a container HEALTHCHECK),
or run an example webhook receiver.

Every settings flag is a `Settings` field: `--orders 100000` is the same as `SANDBOX_ORDERS=100000`, and
a flag wins over the environment. `reset`, `advance` and `export-fixtures` act on the database directly
through the same `Sandbox` services the HTTP API uses (no HTTP); `healthcheck` only uses the stdlib.
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sandbox.config import Settings
from sandbox.core import i18n
from sandbox.core.errors import SandboxError

SERVE_ONLY = {"host", "port"}
ALIASES = {"database_url": ["--db"]}


def _add_settings_flags(parser: argparse.ArgumentParser, *, serve: bool) -> None:
    for name, field in Settings.model_fields.items():
        if name in SERVE_ONLY and not serve:
            continue
        default = field.get_default(call_default_factory=True)
        if isinstance(default, dict):
            default = ",".join(f"{k}:{v}" for k, v in default.items())
        elif isinstance(default, tuple):
            default = ",".join(default)
        flags = [f"--{name.replace('_', '-')}", *ALIASES.get(name, [])]
        parser.add_argument(
            *flags,
            dest=name,
            default=argparse.SUPPRESS,
            metavar=name.split("_")[-1].upper(),
            help=f"{field.description} [env SANDBOX_{name.upper()}; default {default}]",
        )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="minted-sandbox",
        description="A local, offline, stateful sandbox of the Minted Connect partner API.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="start the HTTP server (builds the seeded world first if the database does not hold it)",
        description="Start the sandbox on HOST:PORT. Settings come from flags, then SANDBOX_* variables.",
    )
    _add_settings_flags(serve, serve=True)
    serve.add_argument("--workers", type=int, default=1, help="uvicorn worker processes [default 1]")
    serve.add_argument("--log-level", default="info", help="uvicorn log level [default info]")
    seed = commands.add_parser(
        "seed",
        help="(re)build the seeded world into the database, with a progress bar",
        description="Drop what the database holds and build the world for SEED with ORDERS orders.",
    )
    _add_settings_flags(seed, serve=False)
    reset = commands.add_parser(
        "reset",
        help="restore the seeded world from its template (building it first if needed)",
        description="Copy the pristine seeded world over the database. Webhooks, fault rules and "
        "lifecycle modes stay unless --everything.",
    )
    reset.add_argument(
        "--everything", action="store_true", help="also drop the configuration (webhooks, faults, modes)"
    )
    _add_settings_flags(reset, serve=False)
    advance = commands.add_parser(
        "advance",
        help="move an order one step, or to STATUS, along its flow",
        description="Move ORDER (its guid or order_code) one step along its flow, or along the allowed "
        "path to STATUS; prints the statuses entered.",
    )
    advance.add_argument("order", metavar="ORDER", help="the order's guid or order_code")
    advance.add_argument("--to", metavar="STATUS", help='target status, e.g. "Completed"')
    _add_settings_flags(advance, serve=False)
    export = commands.add_parser(
        "export-fixtures",
        help="write the seeded world's orders and customers as JSON files",
        description="Write DIR/PARTNER/orders.json (as Get Order renders them) and "
        "DIR/PARTNER/customers.json (as Create Customer renders them) for the seeded world; the same "
        "seed gives byte-identical files.",
    )
    export.add_argument(
        "--out", metavar="DIR", type=Path, default=Path("fixtures/export"), help="[default fixtures/export]"
    )
    export.add_argument("--partner", default="demo", help="partner username [default demo]")
    _add_settings_flags(export, serve=False)
    health = commands.add_parser(
        "healthcheck",
        help="exit 0 when a running sandbox and its store answer, else 1 (for a container HEALTHCHECK)",
        description="GET URL/_sandbox/health (with SANDBOX_CONTROL_TOKEN as a bearer token when set); "
        "exit 0 on a 200 within the timeout, else print why and exit 1: no answer, or a 503 "
        "store_unavailable (database file deleted or replaced, disk full, I/O errors).",
    )
    health.add_argument(
        "--url", help="base URL of the sandbox [default http://127.0.0.1:PORT, PORT from SANDBOX_PORT]"
    )
    health.add_argument("--timeout", type=float, default=3.0, metavar="S", help="seconds [default 3]")
    receiver = commands.add_parser(
        "webhook-receiver",
        help="run an example webhook endpoint that logs every delivery as one JSON line",
        description="Answer 200 to every POST on HOST:PORT and print one JSON line per delivery (event, "
        "order, whether the X-Minted-Signature verified with SECRET); GET / lists the last deliveries.",
    )
    receiver.add_argument("--host", default="127.0.0.1", help="address to bind [default 127.0.0.1]")
    receiver.add_argument("--port", type=int, default=9000, help="port to bind [default 9000]")
    receiver.add_argument(
        "--secret",
        default=os.environ.get("SANDBOX_WEBHOOK_SECRET", ""),
        help="signing secret to verify with [env SANDBOX_WEBHOOK_SECRET; default: no check]",
    )
    receiver.add_argument(
        "--tolerance",
        type=float,
        default=300.0,
        metavar="S",
        help="seconds a signature's t may be off this machine's clock [default 300]",
    )
    receiver.add_argument(
        "--keep", type=int, default=100, metavar="N", help="deliveries GET / lists [default 100]"
    )
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {
        name: getattr(args, name) for name in Settings.model_fields if hasattr(args, name)
    }
    return Settings(**overrides)


def _seed_with_progress(settings: Settings, *, force: bool) -> None:
    from tqdm import tqdm

    from sandbox.runtime import Sandbox

    sandbox = Sandbox(settings)
    try:
        started = time.perf_counter()
        with tqdm(
            total=sandbox.world_spec.planned_orders(), unit="orders", desc="seeding", file=sys.stderr
        ) as bar:
            if force:
                sandbox.rebuild_world(bar.update)
                built = True
            else:
                built = sandbox.ensure_world(bar.update)
        if built:
            print(
                f"seeded {bar.n} orders for {len(settings.partners)} partners (seed {settings.seed}) "
                f"into {settings.database_url} in {time.perf_counter() - started:.1f} s",
                file=sys.stderr,
            )
    finally:
        sandbox.close()


def _warn_if_exposed(settings: Settings) -> None:
    from sandbox.control.protection import is_loopback

    if not settings.control_token and not is_loopback(settings.host):
        logging.getLogger("sandbox").warning(
            "WARNING: serving on %s without SANDBOX_CONTROL_TOKEN: anyone who can reach this port can "
            "reset, reseed and reconfigure the sandbox through /_sandbox. Set --control-token (or "
            "SANDBOX_CONTROL_TOKEN) or bind 127.0.0.1.",
            settings.host,
        )


def serve(settings: Settings, workers: int, log_level: str) -> None:
    import uvicorn

    if workers < 1:
        raise ValueError("--workers must be at least 1")
    if settings.in_memory and workers > 1:
        raise ValueError("an in-memory database cannot be shared by several workers; use a file database")
    _warn_if_exposed(settings)
    if not settings.in_memory:
        _seed_with_progress(settings, force=False)
    if workers == 1:
        from sandbox.app import create_app

        uvicorn.run(
            create_app(settings, whole_process=True),
            host=settings.host,
            port=settings.port,
            log_level=log_level,
        )
        return
    # Worker processes rebuild Settings from the environment: hand them ours, and one shared Digest
    # secret so a nonce minted by one worker is valid on the others.
    from sandbox.core.ids import SystemRandom

    for name, value in settings.model_dump(mode="json").items():
        if isinstance(value, dict):
            value = ",".join(f"{k}:{v}" for k, v in value.items())
        elif isinstance(value, list):
            value = ",".join(value)
        os.environ[f"SANDBOX_{name.upper()}"] = str(value)
    if not settings.digest_secret:
        os.environ["SANDBOX_DIGEST_SECRET"] = SystemRandom.hex(64)
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config(
        "sandbox.app:create_app_from_env",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers,
        log_level=log_level,
    )
    Multiprocess(config, sockets=[tcp_listener(config)]).run()  # what `uvicorn.run` does for workers


def tcp_listener(config: Any) -> socket.socket:
    """The shared listener of `--workers N`, marked as TCP. uvicorn binds it with proto 0, so asyncio
    leaves Nagle on for every accepted connection and each keep-alive response after the first waits
    about 40 ms for the client's delayed ACK (uvicorn#3149): 700 instead of 4,600 req/s in make bench."""
    bound = config.bind_socket()
    return socket.socket(bound.family, bound.type, socket.IPPROTO_TCP, fileno=bound.detach())


def reset(settings: Settings, everything: bool) -> None:
    from sandbox.runtime import Sandbox

    sandbox = Sandbox(settings)
    try:
        result = sandbox.reset(everything)
    finally:
        sandbox.close()
    print(f"reset in {result['milliseconds']:g} ms, {result['orders']} orders")


def advance(settings: Settings, ref: str, to: str | None) -> None:
    from sqlmodel import or_, select

    from sandbox.lifecycle import engine
    from sandbox.runtime import Sandbox
    from sandbox.store.models import Order

    sandbox = Sandbox(settings)
    try:
        sandbox.ensure_world()
        with sandbox.store.session(write=True) as session:
            # Like the control API: an order is named by its guid or order_code (unique across partners).
            order = session.exec(
                select(Order).where(or_(Order.guid == ref.upper(), Order.order_code == ref.upper()))
            ).first()
            if order is None:
                raise SandboxError("order_not_found")
            before = engine.status_of(order)
            entered = engine.advance(session, order, sandbox.clock.now(), sandbox.rng, to=to)
            code = order.order_code
    finally:
        sandbox.close()
    print(f"{code}: {' -> '.join([before, *entered])}")


def export_fixtures(settings: Settings, out: Path, partner: str) -> None:
    from sandbox.control.export import export_fixtures as export
    from sandbox.runtime import Sandbox

    sandbox = Sandbox(settings)
    try:
        written = export(sandbox, out, partner)
    finally:
        sandbox.close()
    for name, (path, count) in written.items():
        print(f"wrote {count} {name} to {path}")


def healthcheck(url: str | None, timeout: float) -> int:
    """Stdlib only (no FastAPI import): this runs every few seconds inside the container."""
    import json
    import urllib.error
    import urllib.request

    if timeout <= 0:
        raise ValueError("--timeout must be positive")
    settings = Settings()
    base = (url or f"http://127.0.0.1:{settings.port}").rstrip("/")
    target = f"{base}/_sandbox/health"
    headers = {"Accept-Language": "en"}
    if settings.control_token:
        headers["Authorization"] = f"Bearer {settings.control_token}"
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(
            urllib.request.Request(target, headers=headers), timeout=timeout
        ) as response:
            status = response.status
            response.read()
    except urllib.error.HTTPError as error:
        reason = f"HTTP {error.code}"
        try:  # the envelope's error key and message: `store_unavailable: The sandbox store is ...`
            data = json.loads(error.read())
            reason += f" {data['data']['error']}: {data['message']}"
        except (OSError, ValueError, KeyError, TypeError):
            pass
    except urllib.error.URLError as error:
        cause = error.reason
        reason = f"no answer within {timeout:g} s" if isinstance(cause, TimeoutError) else str(cause)
    except TimeoutError:
        reason = f"no answer within {timeout:g} s"
    except (OSError, ValueError) as error:
        reason = str(error) or type(error).__name__
    else:
        elapsed = time.perf_counter() - started
        if status == 200 and elapsed <= timeout:
            print(f"healthy: {target} answered 200 in {elapsed * 1000:.0f} ms")
            return 0
        reason = f"HTTP {status}" if status != 200 else f"answered after {elapsed:.1f} s"
    print(f"minted-sandbox: unhealthy: {target}: {reason}", file=sys.stderr)
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "healthcheck":
            return healthcheck(args.url, args.timeout)
        if args.command == "webhook-receiver":
            from sandbox.webhooks.receiver import serve as serve_receiver

            serve_receiver(args.host, args.port, args.secret, tolerance=args.tolerance, keep=args.keep)
            return 0
        settings = _settings(args)
        if args.command == "serve":
            serve(settings, args.workers, args.log_level)
        elif args.command == "seed":
            _seed_with_progress(settings, force=True)
        elif args.command == "reset":
            reset(settings, args.everything)
        elif args.command == "advance":
            advance(settings, args.order, args.to)
        elif args.command == "export-fixtures":
            export_fixtures(settings, args.out, args.partner)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in error.errors()
        )
        print(f"minted-sandbox: error: {problems}", file=sys.stderr)
        return 2
    except (ValueError, OSError) as error:
        print(f"minted-sandbox: error: {error}", file=sys.stderr)
        return 2
    except SandboxError as error:  # the API's own message, in English
        print(f"minted-sandbox: error: {i18n.message(error.key, 'en', error.params)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0
