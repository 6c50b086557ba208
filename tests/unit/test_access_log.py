"""`serve`'s access line: uvicorn's text, made without copying each record."""

from __future__ import annotations

import logging
import logging.config

import pytest
from uvicorn.logging import AccessFormatter

from sandbox.cli import access_formatter, log_config

FMT = log_config()["formatters"]["access"]["fmt"]


def record(args: object) -> logging.LogRecord:
    return logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d', args, None
    )


def test_serve_logs_access_through_the_sandbox_formatter() -> None:
    config = log_config()
    assert config["formatters"]["access"]["()"] == "sandbox.cli.access_formatter"
    # What dictConfig builds for the "access" formatter, without configuring this process's loggers.
    formatter = logging.config.DictConfigurator(config).configure_formatter(config["formatters"]["access"])
    assert type(formatter).__module__ == "sandbox.cli"
    assert formatter.format(record(("127.0.0.1:1", "GET", "/", "1.1", 200))) == (
        'INFO:     127.0.0.1:1 - "GET / HTTP/1.1" 200 OK'
    )


@pytest.mark.parametrize("colours", [False, True])
@pytest.mark.parametrize(
    "args",
    [
        ("127.0.0.1:50000", "GET", "/partner/order/X?a=%C3%A7", "1.1", 200),
        ("[::1]:50001", "POST", "/partner/order", "1.1", 401),
        ("10.0.0.7:1", "DELETE", "/_sandbox/tenants/t1", "1.0", 599),  # no phrase for 599
    ],
)
def test_the_line_is_uvicorns_own(args: tuple[object, ...], colours: bool) -> None:
    ours = access_formatter(fmt=FMT, use_colors=colours).format(record(args))
    assert ours == AccessFormatter(fmt=FMT, use_colors=colours).format(record(args))
