"""Precomputed Digest answers for wrk: one nonce per wrk thread, nc counting up from 1.

The sandbox checks every answer for real (RFC 7616, MD5, qop=auth) and accepts each nc once per nonce
anywhere within 4,096 above the lowest one not yet seen, so a thread whose connections' requests reach
it out of nc order (by about its connections in flight) is still accepted. Each request line is
`method TAB uri TAB authorization TAB body`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import httpx

USER, PASSWORD = "demo", "demo-secret"
HEADERS = {"x-client-id": "web"}
_PARAM = re.compile(r'(\w+)="?([^",]*)"?')


@dataclass(frozen=True)
class Challenge:
    realm: str
    nonce: str
    opaque: str


# For the references (the FastAPI floor, Prism), which check nothing: same header shape and size.
FAKE = Challenge("minted-sandbox", "0" * 56, "0" * 32)


def challenge(url: str) -> Challenge:
    """A fresh nonce: every 401 carries one."""
    response = httpx.get(f"{url}/partner/orders/statuses", headers=HEADERS, timeout=10)
    assert response.status_code == 401, response.status_code
    params = dict(_PARAM.findall(response.headers["www-authenticate"].split(" ", 1)[1]))
    return Challenge(params["realm"], params["nonce"], params["opaque"])


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def authorizations(ch: Challenge, method: str, uris: list[str], cnonce: str) -> list[str]:
    """The Authorization value for uris[i] sent with nc = i + 1."""
    ha1 = _md5(f"{USER}:{ch.realm}:{PASSWORD}")
    out = []
    for n, uri in enumerate(uris, start=1):
        nc = f"{n:08x}"
        response = _md5(f"{ha1}:{ch.nonce}:{nc}:{cnonce}:auth:{_md5(f'{method}:{uri}')}")
        out.append(
            f'Digest username="{USER}", realm="{ch.realm}", nonce="{ch.nonce}", uri="{uri}", '
            f'algorithm=MD5, qop=auth, nc={nc}, cnonce="{cnonce}", response="{response}", '
            f'opaque="{ch.opaque}"'
        )
    return out


def write_requests(
    path: Path, ch: Challenge, method: str, targets: list[tuple[str, str]], cnonce: str
) -> None:
    """`targets` are (uri, body) in sending order; the file holds one request per line."""
    auths = authorizations(ch, method, [uri for uri, _ in targets], cnonce)
    path.write_text(
        "".join(f"{method}\t{uri}\t{a}\t{body}\n" for (uri, body), a in zip(targets, auths, strict=True)),
        encoding="utf-8",
    )
