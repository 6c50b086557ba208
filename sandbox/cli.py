"""`minted-sandbox`: serve the sandbox, or (re)build its seeded world.

Every flag is a `Settings` field: `--orders 100000` is the same as `SANDBOX_ORDERS=100000`, and a flag
wins over the environment.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from sandbox.config import Settings

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

        uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level=log_level)
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
    uvicorn.run(
        "sandbox.app:create_app_from_env",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers,
        log_level=log_level,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = _settings(args)
        if args.command == "serve":
            serve(settings, args.workers, args.log_level)
        elif args.command == "seed":
            _seed_with_progress(settings, force=True)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in error.errors()
        )
        print(f"minted-sandbox: error: {problems}", file=sys.stderr)
        return 2
    except (ValueError, OSError) as error:
        print(f"minted-sandbox: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0
