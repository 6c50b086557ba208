"""The cached read path under any ASGI server: the ASGI spec lets `scope["server"]` be any pair
(Starlette's TestClient sends a list, uvicorn a tuple), and a cacheable read must answer either way."""

from __future__ import annotations

import warnings

import httpx

with warnings.catch_warnings():  # Starlette would have us install httpx2, which this project does not use
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

from sandbox.app import create_app
from tests.support.constants import DEMO, GOLDEN_GUID, PARTNER_HEADERS
from tests.support.servers import make_settings


def test_a_cacheable_read_answers_twice_through_starlettes_test_client(tmp_path) -> None:
    app = create_app(make_settings(tmp_path, orders=20, customers=3))
    with TestClient(app, base_url="http://127.0.0.1") as client:
        answers = [
            client.get(f"/partner/order/{GOLDEN_GUID}", headers=PARTNER_HEADERS, auth=httpx.DigestAuth(*DEMO))
            for _ in range(2)
        ]
    assert [answer.status_code for answer in answers] == [200, 200]
    assert answers[0].content == answers[1].content
    assert answers[0].json()["data"]["guid"] == GOLDEN_GUID
