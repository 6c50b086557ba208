"""SandboxServer: the real app under uvicorn in a daemon thread, on a free port, for tests and tools."""

from __future__ import annotations

import threading
import time
from types import TracebackType

import uvicorn

from sandbox.config import Settings
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
        from sandbox.app import create_app

        self.settings = settings or Settings(database_url="sqlite://")
        self.app = create_app(self.settings, clock=clock, nonce_clock=nonce_clock)
        self.sandbox = self.app.state.sandbox
        self._config = uvicorn.Config(self.app, host=host, port=port, log_level="warning", lifespan="on")
        self._server = uvicorn.Server(self._config)
        self._thread: threading.Thread | None = None
        self._ready_timeout = ready_timeout
        self.host = host
        self.port = port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> SandboxServer:
        self._thread = threading.Thread(target=self._server.run, name="minted-sandbox", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + self._ready_timeout
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the sandbox server stopped while starting")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"the sandbox server was not ready within {self._ready_timeout} s")
            time.sleep(0.01)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
