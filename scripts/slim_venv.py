"""Run once by the Dockerfile's build stage, with the venv's Python, after `pip install --no-compile`.

1. Warm up: seed a small world, serve it on loopback, answer a few partner and control requests.
   Python writes bytecode for every module that imports, so the image carries .pyc files for the code a
   run uses and not for the rest (compiling everything would add about 7 MB).
2. Drop the Faker locales the seeded world never loads. The sandbox builds people with Faker("tr_TR");
   Faker takes each provider's tr_TR module, else the provider's default locale, deciding only by which
   locale folders exist, so the locales step 1 did not import can go without changing one seeded byte
   (7 MB of source, about as much again compiled; `minted-sandbox export-fixtures` gives the same files
   as on a full install).
3. Drop the source maps of the vendored Swagger UI (5 MB): only a browser's developer tools fetch them.

usage: cd /tmp && /opt/venv/bin/python -I slim_venv.py   (not on a venv you work in: it deletes)
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path


def warm_up() -> None:
    import httpx

    import sandbox.webhooks.receiver  # noqa: F401  (the image also runs the example receiver)
    from sandbox.cli import build_parser
    from sandbox.config import Settings
    from sandbox.testing.server import SandboxServer

    build_parser()
    with tempfile.TemporaryDirectory() as folder:
        # The fixtures the wheel ships (the golden order and a legal text are asked for below).
        settings = Settings(database_url=f"sqlite:///{folder}/warm.db", orders=40)
        # The real server (uvicorn in a thread, loopback, a free port) and real Digest requests.
        with SandboxServer(settings) as server, httpx.Client(base_url=server.url, timeout=30) as http:
            demo = {"auth": httpx.DigestAuth("demo", "demo-secret"), "headers": {"x-client-id": "web"}}
            for method, path, body in [
                ("GET", "/openapi.json", None),
                ("GET", "/docs", None),
                ("GET", "/partner/orders?total=5", None),
                ("POST", "/partner/order", {"order_code": "ALS8HEVP"}),
                ("POST", "/partner/legal", {"type": "kvkk"}),
            ]:
                response = http.request(method, path, json=body, **demo)
                assert response.status_code == 200, (path, response.text)
            for path in ("/_sandbox/state", "/_sandbox/webhooks", "/_sandbox/clock"):
                assert http.get(path).status_code == 200, path


def drop_unused_faker_locales() -> tuple[int, int]:
    import faker.providers

    freed = dropped = 0
    root = Path(faker.providers.__file__).parent
    for provider in root.iterdir():
        for folder in provider.iterdir() if provider.is_dir() else []:
            module = f"faker.providers.{provider.name}.{folder.name}"
            if folder.is_dir() and folder.name != "__pycache__" and module not in sys.modules:
                freed += sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
                dropped += 1
                shutil.rmtree(folder)
    return dropped, freed


def drop_swagger_source_maps() -> tuple[int, int]:
    import swagger_ui_bundle

    maps = list(Path(swagger_ui_bundle.swagger_ui_path).glob("*.map"))
    freed = sum(path.stat().st_size for path in maps)
    for path in maps:
        path.unlink()
    return len(maps), freed


def main() -> None:
    if len(sys.argv) != 1:
        sys.exit(__doc__.strip().splitlines()[-1])
    import sandbox

    if "site-packages" not in sandbox.__file__:
        sys.exit(f"slim_venv: warming up {sandbox.__file__}, not the installed package: run it with -I")
    sys.dont_write_bytecode = False
    warm_up()
    locales, locales_size = drop_unused_faker_locales()
    maps, maps_size = drop_swagger_source_maps()
    print(
        f"slim_venv: warmed up; dropped {locales} Faker locale modules ({locales_size / 1e6:.1f} MB) "
        f"and {maps} Swagger UI source maps ({maps_size / 1e6:.1f} MB)"
    )


if __name__ == "__main__":
    main()
