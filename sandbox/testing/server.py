"""SandboxServer: the real app under uvicorn in a daemon thread, on a free port, for tests and tools."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn

from sandbox.app import create_app
from sandbox.config import Settings, public_url
from sandbox.core.clock import Clock


class SandboxServer:
    """`with SandboxServer(settings) as server: requests.get(server.url + "/partner/...")`."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        clock: Clock | None = None,
        nonce_clock: Clock | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        ready_timeout: float = 30.0,
    ) -> None:
        # Bound before the app is built, so the links the sandbox hands out (a card payment's
        # redirect_url) name the port a browser can follow, also the free one port 0 picks.
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._socket = socket.socket(family, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.host = host
        self.port = self._socket.getsockname()[1]
        settings = settings or Settings(database_url="sqlite://")
        if "public_base_url" not in settings.model_fields_set:
            settings = settings.model_copy(update={"public_base_url": public_url(host, self.port)})
        self.settings = settings
        self.app = create_app(self.settings, clock=clock, nonce_clock=nonce_clock)
        self.sandbox = self.app.state.sandbox
        self._config = uvicorn.Config(self.app, log_level="warning", lifespan="on")
        self._server = uvicorn.Server(self._config)
        self._thread: threading.Thread | None = None
        self._ready_timeout = ready_timeout

    @property
    def url(self) -> str:
        return public_url(self.host, self.port)

    def start(self) -> SandboxServer:
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, name="minted-sandbox", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + self._ready_timeout
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the sandbox server stopped while starting")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"the sandbox server was not ready within {self._ready_timeout} s")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self._socket.close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
