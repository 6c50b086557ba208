"""`minted-sandbox`: serve the sandbox, (re)build or reset its seeded world, move an order, export the
world as JSON fixtures, check that a running sandbox and its store answer (for a container HEALTHCHECK),
or run an example webhook receiver.

Every settings flag is a `Settings` field: `--orders 100000` is the same as `SANDBOX_ORDERS=100000`, and
a flag wins over the environment. `serve` takes them all; the commands that only open the database take
the `WorldSettings` ones. The commands that open the database (`seed`, `migrate`, `reset`, `advance`,
`export-fixtures`) live in `sandbox.commands`, loaded only when one runs; `healthcheck` only uses the
stdlib. Every failure is one line on stderr naming what to fix, and exit code 2.
"""

from __future__ import annotations

import argparse
import copy
import faulthandler
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from pydantic import ValidationError

from sandbox.config import Settings, WorldSettings, public_url
from sandbox.core import i18n
from sandbox.core.errors import SandboxError
from sandbox.core.version import version
from sandbox.store.location import UnwritableStore

ALIASES = {"database_url": ["--db"]}
OPTIONS = "%(prog)s [OPTIONS]"  # each command's usage line; --help lists the options
# Set in the image (Dockerfile): errors about the database location then speak of its volume.
CONTAINER_MARKER = "MINTED_SANDBOX_CONTAINER"


class Parser(argparse.ArgumentParser):
    """Usage errors as one line on stderr, from the (sub)command they concern, with its usage; exit 2."""

    commands: dict[str, Parser]  # the top-level parser's, by command name

    def error(self, message: str) -> NoReturn:
        usage = self.format_usage().strip().removeprefix("usage: ")
        self.exit(2, f"{self.prog}: error: {message} (usage: {usage}; see {self.prog} --help)\n")


def _add_settings_flags(parser: argparse.ArgumentParser, settings: type[WorldSettings]) -> None:
    """One flag per field of `settings`: `WorldSettings` for the commands that only open the database,
    `Settings` (those and the server's own) for `serve`."""
    for name, field in settings.model_fields.items():
        default = field.get_default(call_default_factory=True)
        if isinstance(default, dict):
            default = ",".join(f"{k}:{v}" for k, v in default.items())
        elif isinstance(default, tuple):
            default = ",".join(default)
        parser.add_argument(
            *_flags(name),
            dest=name,
            default=argparse.SUPPRESS,
            metavar=name.split("_")[-1].upper(),
            help=f"{field.description} [env SANDBOX_{name.upper()}; default {default}]",
        )


def _flags(name: str) -> list[str]:
    return [f"--{name.replace('_', '-')}", *ALIASES.get(name, [])]


def build_parser() -> Parser:
    parser = Parser(
        prog="minted-sandbox",
        usage="%(prog)s [--version] COMMAND [OPTIONS]",
        description="A local, offline, stateful sandbox of the Minted Connect partner API.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    # prog: the usage above would otherwise be each command's prefix (`minted-sandbox [--version] ...`).
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", prog=parser.prog)
    parser.commands = commands.choices
    serve = commands.add_parser(
        "serve",
        usage=OPTIONS,
        help="start the HTTP server (builds the seeded world first if the database does not hold it)",
        description="Start the sandbox on HOST:PORT. Settings come from flags, then SANDBOX_* variables.",
    )
    _add_settings_flags(serve, Settings)
    serve.add_argument("--workers", type=int, default=1, help="uvicorn worker processes [default 1]")
    serve.add_argument("--log-level", default="info", help="uvicorn log level [default info]")
    seed = commands.add_parser(
        "seed",
        usage=OPTIONS,
        help="(re)build the seeded world into the database, with a progress bar",
        description="Drop what the database holds and build the world for SEED with ORDERS orders.",
    )
    _add_settings_flags(seed, WorldSettings)
    migrate = commands.add_parser(
        "migrate",
        usage=OPTIONS,
        help="bring the database to this version's schema, in place, its data kept",
        description="Run the schema migrations the database lacks (every `serve` does the same at start).",
    )
    _add_settings_flags(migrate, WorldSettings)
    reset = commands.add_parser(
        "reset",
        usage=OPTIONS,
        help="restore the seeded world from its template (building it first if needed)",
        description="Copy the pristine seeded world over the database. Webhooks, fault rules and "
        "lifecycle modes stay unless --everything.",
    )
    reset.add_argument(
        "--everything", action="store_true", help="also drop the configuration (webhooks, faults, modes)"
    )
    _add_settings_flags(reset, WorldSettings)
    advance = commands.add_parser(
        "advance",
        usage="%(prog)s ORDER [OPTIONS]",
        help="move an order one step, or to STATUS, along its flow",
        description="Move ORDER (its guid or order_code) one step along its flow, or along the allowed "
        "path to STATUS; prints the statuses entered.",
    )
    advance.add_argument("order", metavar="ORDER", help="the order's guid or order_code")
    advance.add_argument("--to", metavar="STATUS", help='target status, e.g. "Completed"')
    _add_settings_flags(advance, WorldSettings)
    export = commands.add_parser(
        "export-fixtures",
        usage=OPTIONS,
        help="write the seeded world's orders and customers as JSON files",
        description="Write DIR/PARTNER/orders.json (as Get Order renders them) and "
        "DIR/PARTNER/customers.json (as Create Customer renders them) for the seeded world; the same "
        "seed gives byte-identical files.",
    )
    export.add_argument(
        "--out", metavar="DIR", type=Path, default=Path("fixtures/export"), help="[default fixtures/export]"
    )
    export.add_argument("--partner", default="demo", help="partner username [default demo]")
    _add_settings_flags(export, WorldSettings)
    health = commands.add_parser(
        "healthcheck",
        usage=OPTIONS,
        help="exit 0 when a running sandbox and its store answer, else 1 (for a container HEALTHCHECK)",
        description="GET URL/_sandbox/health (with SANDBOX_CONTROL_TOKEN as a bearer token when set); "
        "exit 0 on a 200 within the timeout, else print why and exit 1: no answer, or a 503 "
        "store_unavailable (its database file or server gone, full or failing).",
    )
    health.add_argument(
        "--url", help="base URL of the sandbox [default http://127.0.0.1:PORT, PORT from SANDBOX_PORT]"
    )
    health.add_argument("--timeout", type=float, default=3.0, metavar="S", help="seconds [default 3]")
    receiver = commands.add_parser(
        "webhook-receiver",
        usage=OPTIONS,
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


def _warn_if_exposed(settings: Settings) -> None:
    from sandbox.control.protection import is_loopback

    if not settings.control_token and not is_loopback(settings.host):
        logging.getLogger("sandbox").warning(
            "WARNING: serving on %s without SANDBOX_CONTROL_TOKEN: anyone who can reach this port can "
            "reset, reseed and reconfigure the sandbox through /_sandbox. Set --control-token (or "
            "SANDBOX_CONTROL_TOKEN) or bind 127.0.0.1.",
            settings.host,
        )


# A worker's stacks take a millisecond or two to write: the next worker is signalled this long after.
STACKS_APART = 0.25


def serve(settings: Settings, workers: int, log_level: str) -> int:
    import uvicorn

    from sandbox import commands

    if workers < 1:
        raise ValueError("--workers must be at least 1")
    if settings.in_memory and workers > 1:
        raise ValueError("an in-memory database cannot be shared by several workers; use a file database")
    _warn_if_exposed(settings)
    if not settings.in_memory:
        commands.seed_with_progress(settings, force=False)
    listener = bind(settings.host, settings.port)
    port = listener.getsockname()[1]
    if "public_base_url" not in settings.model_fields_set:  # derived: from the port bound (port 0)
        settings = settings.model_copy(
            update={"port": port, "public_base_url": public_url(settings.host, port)}
        )
    _announce(settings, port)
    if workers == 1:
        from sandbox.app import create_app

        config = uvicorn.Config(
            create_app(settings, whole_process=True), log_level=log_level, log_config=log_config()
        )
        server = uvicorn.Server(config)
        server.run(sockets=[listener])
        return 0 if server.started else 3  # 3: the app did not start (uvicorn's own exit code for it)
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
        workers=workers,
        log_level=log_level,
        log_config=log_config(),
    )
    supervisor = Multiprocess(config, sockets=[listener])
    if hasattr(signal, "SIGUSR1"):

        def stacks(_signal: int, _frame: object) -> None:
            """The supervisor's stacks, then each worker's (sandbox/app.py), one after the other: the
            workers share stderr, and two dumps at once would interleave line by line."""
            faulthandler.dump_traceback(all_threads=True)
            for process in supervisor.processes:
                if process.pid is not None:
                    print(f"minted-sandbox: the stacks of worker {process.pid}", file=sys.stderr, flush=True)
                    os.kill(process.pid, signal.SIGUSR1)
                    time.sleep(STACKS_APART)

        signal.signal(signal.SIGUSR1, stacks)
    supervisor.run()
    return 0


def log_config() -> dict[str, Any]:
    """uvicorn's logging, with the access line formatted by `access_formatter`."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["access"]["()"] = "sandbox.cli.access_formatter"
    return config


def access_formatter(**options: Any) -> logging.Formatter:
    """uvicorn's access line, the same text, without the two copies of every record uvicorn's formatter
    makes (8.8 → 2.0 µs a line, a thirtieth of a cached read). A terminal's colours keep uvicorn's path."""
    from uvicorn.logging import AccessFormatter

    class Formatter(AccessFormatter):
        def formatMessage(self, record: logging.LogRecord) -> str:
            if self.use_colors or not isinstance(record.args, tuple) or len(record.args) != 5:
                return super().formatMessage(record)
            client, method, path, http_version, status = record.args
            level = record.levelname
            request_line = f"{method} {path} HTTP/{http_version}"
            status_line = self.get_status_code(int(str(status)))
            return f'{level}:{" " * (8 - len(level))} {client} - "{request_line}" {status_line}'

    return Formatter(**options)


def bind(host: str, port: int) -> socket.socket:
    """The socket `serve` hands to uvicorn, bound here so that the start-up lines can name the port (also
    the free one port 0 picks) and a port in use is one line, not a log record. Bound, not listening:
    until uvicorn listens on it, once the app is ready, connections are refused rather than left
    hanging, so readiness checks see what they expect.

    Marked as TCP (proto IPPROTO_TCP, not 0): asyncio only turns Nagle off on accepted connections of
    such a socket; without it each keep-alive response after the first waits about 40 ms for the
    client's delayed ACK (uvicorn#3149: 700 instead of 4,600 req/s with --workers in make bench)."""
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET  # as uvicorn: "localhost" is IPv4
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, family, socket.SOCK_STREAM, socket.IPPROTO_TCP, socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, kind, proto)
    except OSError as error:
        raise OSError(f"cannot listen on {host}:{port}: {error.strerror or error}; check --host") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as error:
        sock.close()
        raise OSError(
            f"cannot listen on {host}:{port}: {error.strerror or error}; choose another --port (SANDBOX_PORT)"
        ) from None
    sock.set_inheritable(True)  # --workers: the worker processes accept on it
    return sock


def _announce(settings: Settings, port: int) -> None:
    """Where everything is, and who to be: the lines a newcomer reads after `make run`."""
    bound = f"[{settings.host}]" if ":" in settings.host else settings.host
    base = public_url(settings.host, port)
    token = " (log in with the control token)" if settings.control_token else ""
    partners = ", ".join(f"{user} / {password}" for user, password in settings.partners.items())
    lines = [
        f"minted-sandbox {version()} serving {base} (bound to {bound}:{port}; Ctrl+C stops it)",
        f"  dashboard  {base}/_sandbox/ui{token}",
        f"  API docs   {base}/docs",
        f"  OpenAPI    {base}/openapi.json",
        f"  partners   {partners} (HTTP Digest, with an x-client-id header)",
    ]
    print("\n".join(lines), file=sys.stderr, flush=True)


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
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # said by the command they were given to, with its usage, not the top level's
        parser.commands[args.command].error(f"unrecognized arguments: {' '.join(unknown)}")
    flags = {name for name in Settings.model_fields if hasattr(args, name)}
    try:
        if args.command == "healthcheck":
            return healthcheck(args.url, args.timeout)
        if args.command == "webhook-receiver":
            from sandbox.webhooks.receiver import serve as serve_receiver

            serve_receiver(args.host, args.port, args.secret, tolerance=args.tolerance, keep=args.keep)
            return 0
        settings = Settings(**{name: getattr(args, name) for name in flags})
        from sandbox import commands  # what opens the database: not loaded by healthcheck

        commands.wait_for_database(settings)
        if args.command == "serve":
            return serve(settings, args.workers, args.log_level)
        if args.command == "seed":
            commands.seed_with_progress(settings, force=True)
        elif args.command == "migrate":
            commands.migrate(settings)
        elif args.command == "reset":
            commands.reset(settings, args.everything)
        elif args.command == "advance":
            commands.advance(settings, args.order, args.to)
        elif args.command == "export-fixtures":
            commands.export_fixtures(settings, args.out, args.partner)
    except ValidationError as error:
        return _fail("; ".join(_setting_problem(problem, flags) for problem in error.errors()))
    except UnwritableStore as error:
        return _fail(f"{error} by uid {os.getuid()}; {_unwritable_fix(error)}")
    except (ValueError, OSError) as error:
        return _fail(str(error))
    except SandboxError as error:  # the API's own message, in English
        return _fail(i18n.message(error.key, "en", error.params))
    except KeyboardInterrupt:
        return 130
    return 0


def _fail(message: str) -> int:
    print(f"minted-sandbox: error: {message}", file=sys.stderr)
    return 2


def _setting_problem(problem: Any, flags: set[str]) -> str:
    """A settings error named as the user set the value: the flag they typed, else the variable in
    their environment (`SANDBOX_PORT: Input should be a valid integer ...`)."""
    field = str(problem["loc"][0]) if problem["loc"] else "settings"
    if field in flags:
        field = _flags(field)[0]
    elif field in Settings.model_fields:
        field = f"SANDBOX_{field.upper()}"
    return f"{field}: {problem['msg'].removeprefix('Value error, ')}"


def _unwritable_fix(error: UnwritableStore) -> str:
    if os.environ.get(CONTAINER_MARKER):
        # The image runs as uid 10001: a bind mount of a host folder (or a volume made by another image)
        # belongs to someone else unless the user hands it over.
        return (
            f"the image runs as that user: make the volume or bind mount at {error.blocker} writable by "
            f"uid {os.getuid()} (a host folder: chown {os.getuid()} it on the host), or mount a named "
            f"volume there (-v minted-sandbox-data:{error.blocker})"
        )
    return (
        f"make {error.blocker} writable for this user, or put the database elsewhere with --db PATH "
        "(SANDBOX_DATABASE_URL)"
    )
