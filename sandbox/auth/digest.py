"""Server-side HTTP Digest (RFC 7616, plus the RFC 2069 legacy form): pure functions and the verifier.

Section numbers (§) refer to the design note docs/design/digest.md.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote, urlsplit

from sandbox.auth.nonces import NcWindow, NonceCheck, NonceManager, ReplayWindow

# IANA name -> hashlib name. SHA-512-256 is left out on purpose: curl < 8.7 and several libraries
# compute it wrongly (§2.1, §5.1 erratum 4897).
ALGORITHMS: dict[str, str] = {"MD5": "md5", "MD5-sess": "md5", "SHA-256": "sha256", "SHA-256-sess": "sha256"}
MAX_PARAM_VALUE = 1024
GOOD_NONCES = 4096  # nonces remembered as genuine (the cache empties when full)

_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
# RFC 9110 quoted-string (qdtext / quoted-pair): control characters such as CR and LF never get through,
# so echoing a client value into Authentication-Info is safe. Written as runs of qdtext between
# quoted-pairs (the same language as `(qdtext|quoted-pair)*`), which the regex engine scans several times
# faster: parsing is most of the cost of a Digest check.
_QDTEXT = r"[\t !#-\[\]-~\x80-\xff]*"
_QUOTED = rf'"(?P<quoted>{_QDTEXT}(?:\\[\t -~\x80-\xff]{_QDTEXT})*)"'
_PARAM = re.compile(rf"(?P<name>{_TOKEN})[ \t]*=[ \t]*(?:(?P<token>{_TOKEN})|{_QUOTED})[ \t]*(?=,|\Z)")
_NC = re.compile(r"[0-9A-Fa-f]{8}")
_HEX = re.compile(r"[0-9A-Fa-f]+")
_EXT_VALUE = re.compile(r"UTF-8'[A-Za-z0-9-]*'(.+)", re.IGNORECASE)  # username* (§3.4, RFC 5987)
_GAP = re.compile(r"[ \t,]*")
_GAP_PARAM = re.compile(rf"[ \t,]*{_PARAM.pattern}")
_SCHEME_SPLIT = re.compile(r"[ \t]+")
_ESCAPE = re.compile(r"\\(.)")
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Per-request hashing is the verifier's main cost: constructors looked up once, hex lengths known.
_HASHES = {name: getattr(hashlib, hashlib_name) for name, hashlib_name in ALGORITHMS.items()}
_HEX_LENGTHS = {name: 2 * _HASHES[name]().digest_size for name in ALGORITHMS}
_DUMMY_PASSWORD = "\x00no such user"


class DigestParseError(ValueError):
    pass


def hash_hex(algorithm: str, text: str) -> str:
    """Lower-case hex H(text); strings are hashed as UTF-8 (§1.3)."""
    return _HASHES[algorithm](text.encode()).hexdigest()


@lru_cache(maxsize=1024)
def _secret_hash(algorithm: str, username: str, realm: str, password: str) -> str:
    # H(username:realm:password) is the same on every request of a user: computed once.
    return hash_hex(algorithm, f"{username}:{realm}:{password}")


def ha1(*, algorithm: str, username: str, realm: str, password: str, nonce: str, cnonce: str | None) -> str:
    value = _secret_hash(algorithm, username, realm, password)
    if not algorithm.endswith("-sess"):
        return value
    if cnonce is None:
        raise ValueError(f"{algorithm} needs a cnonce")
    return hash_hex(algorithm, f"{value}:{nonce}:{cnonce}")


def expected_response(
    *,
    algorithm: str,
    username: str,
    realm: str,
    password: str,
    method: str,
    uri: str,
    nonce: str,
    nc: str | None = None,
    cnonce: str | None = None,
    qop: str | None = None,
) -> str:
    """The `response` value (§1.3); `uri` is the client's string byte for byte; qop None is RFC 2069."""
    key = ha1(
        algorithm=algorithm, username=username, realm=realm, password=password, nonce=nonce, cnonce=cnonce
    )
    ha2 = hash_hex(algorithm, f"{method}:{uri}")
    if qop is None:
        return hash_hex(algorithm, f"{key}:{nonce}:{ha2}")
    if nc is None or cnonce is None:
        raise ValueError("a qop answer needs nc and cnonce")
    return hash_hex(algorithm, f"{key}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")


def response_auth(
    *,
    algorithm: str,
    username: str,
    realm: str,
    password: str,
    uri: str,
    nonce: str,
    nc: str,
    cnonce: str,
    qop: str = "auth",
) -> str:
    """`rspauth` of Authentication-Info: the response with A2 = ":" uri, i.e. an empty method (§1.3)."""
    return expected_response(
        algorithm=algorithm,
        username=username,
        realm=realm,
        password=password,
        method="",
        uri=uri,
        nonce=nonce,
        nc=nc,
        cnonce=cnonce,
        qop=qop,
    )


def split_scheme(value: str) -> tuple[str, str]:
    """`"Digest a=1"` -> `("Digest", "a=1")`: split at the first run of whitespace (§3.3 step 3)."""
    scheme, *rest = _SCHEME_SPLIT.split(value.strip(" \t"), maxsplit=1)
    return scheme, rest[0] if rest else ""


def parse_authorization(value: str) -> dict[str, str]:
    """Strict auth-param list (§3.3 step 4): lower-cased names, each once, token or quoted-string values."""
    params: dict[str, str] = {}
    pos, end = 0, len(value)
    while True:
        # The gap before a parameter and the parameter in one match (half the regex calls per header).
        match = _GAP_PARAM.match(value, pos)
        if match is None:
            pos = _skip_gap(value, pos)
            if pos < end:
                raise DigestParseError(f"malformed auth-param at offset {pos}")
            return params
        name, token, quoted = match.group("name", "token", "quoted")
        name = name.lower()
        if token is None:
            token = _ESCAPE.sub(r"\1", quoted) if "\\" in quoted else quoted
        if name in params:
            raise DigestParseError(f"duplicate parameter {name!r}")
        if len(token) > MAX_PARAM_VALUE:
            raise DigestParseError(f"parameter {name!r} is longer than {MAX_PARAM_VALUE}")
        params[name] = token
        pos = match.end()


def _skip_gap(value: str, pos: int) -> int:
    # Optional whitespace and empty list items ("a=1, , b=2") are tolerated between parameters.
    return _GAP.match(value, pos).end()  # type: ignore[union-attr]  # `*` always matches


def quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True)
class DigestConfig:
    realm: str
    algorithms: tuple[str, ...] = ("MD5",)
    qop: str = "auth"
    allow_legacy: bool = True
    nonce_ttl: float = 300
    nextnonce_after: float = 240
    max_header: int = 4096

    def __post_init__(self) -> None:
        if not self.algorithms or not set(self.algorithms) <= ALGORITHMS.keys():
            raise ValueError(f"algorithms must be a non-empty subset of {list(ALGORITHMS)}")
        if self.qop != "auth":
            # auth-int needs the body, which verify() never sees, and it trips curl and okhttp (§2.2).
            raise ValueError("only qop='auth' is supported")


@dataclass(frozen=True)
class Outcome:
    status: int
    reason: str
    stale: bool = False
    username: str | None = None
    authentication_info: str | None = None


_REQUIRED = Outcome(401, "authentication_required")
_INVALID = Outcome(401, "invalid_credentials")


class DigestVerifier:
    def __init__(
        self,
        config: DigestConfig,
        users: Callable[[str], str | None],
        nonces: NonceManager,
        *,
        usernames: Callable[[], Iterable[str]] = lambda: (),
        window: ReplayWindow | None = None,
    ) -> None:
        """`users(name)` gives the password or None; `usernames()` lists the names for userhash lookups."""
        if (nonces.realm, nonces.ttl) != (config.realm, config.nonce_ttl):
            raise ValueError("the NonceManager must use the config's realm and nonce_ttl")
        self.config = config
        self._users = users
        self._usernames = usernames
        self._nonces = nonces
        # None: this process is the only one serving (an in-memory database), its window in memory.
        self._window: ReplayWindow = NcWindow(config.nonce_ttl, nonces.clock) if window is None else window
        self._opaque = nonces.opaque  # an HMAC of the realm: the same for the manager's lifetime
        self._good_nonces: dict[str, int] = {}  # nonce -> issued_at, for nonces whose HMAC is right

    def _check_nonce(self, nonce: str) -> NonceCheck:
        """`NonceManager.check`, remembering the nonces whose HMAC checked out: a client reuses its nonce
        for many requests, and only the age (which only grows) can change the answer for those."""
        issued_at = self._good_nonces.get(nonce)
        if issued_at is None:
            check = self._nonces.check(nonce)
            if check.valid:
                if len(self._good_nonces) >= GOOD_NONCES:
                    self._good_nonces.clear()
                self._good_nonces[nonce] = check.issued_at
            return check
        expired = self._nonces.clock() - issued_at > self._nonces.ttl
        return NonceCheck(valid=True, expired=expired, issued_at=issued_at)

    def close(self) -> None:
        """Let go of the replay window's file or connection (shutdown)."""
        self._window.close()

    def challenges(self, stale: bool = False) -> list[str]:
        """One line per algorithm, all sharing one fresh nonce: requests merges the lines and Postman takes
        line 1's nonce with its own algorithm, so any nonce must work with any algorithm (§2.2, §3.2)."""
        cfg, nonce, opaque = self.config, self._nonces.mint(), self._opaque
        stale_param = ", stale=true" if stale else ""
        return [
            f'Digest realm="{cfg.realm}", qop="{cfg.qop}", algorithm={name}, nonce="{nonce}", '
            f'opaque="{opaque}"{stale_param}'
            for name in cfg.algorithms
        ]

    def claimed_username(self, authorization: list[str]) -> str | None:
        """The username a well-formed Digest header claims (a userhash resolved), not yet verified:
        which world the request is for (`verify` checks the claim)."""
        if len(authorization) != 1:
            return None
        scheme, rest = split_scheme(authorization[0])
        if scheme.lower() != "digest":
            return None
        try:
            p = parse_authorization(rest)
        except DigestParseError:
            return None
        username = _username(p)
        if username and p.get("userhash", "false").lower() == "true":
            wanted = p.get("algorithm", "MD5").lower()
            algorithm = next((name for name in self.config.algorithms if name.lower() == wanted), None)
            if algorithm is None:
                return None
            return self._unhashed(algorithm, username)
        return username

    def _unhashed(self, algorithm: str, userhash: str) -> str | None:
        """The username whose H(name ":" realm) the userhash field holds (§1.3)."""
        hashes = ((hash_hex(algorithm, f"{n}:{self.config.realm}"), n) for n in self._usernames())
        return next((n for h, n in hashes if _same_hex(h, userhash)), None)

    async def verify(self, method: str, target: str, host: str | None, authorization: list[str]) -> Outcome:
        """§3.3 steps 1-15, in order, since the order decides 400 vs 401 and stale. `target` is the raw
        request target (path + "?" + query as received); `authorization` holds every Authorization value."""
        cfg = self.config
        if not authorization:  # step 1
            return _REQUIRED
        if len(authorization) > 1:  # step 2
            return _INVALID
        if len(authorization[0]) > cfg.max_header:
            return Outcome(400, "authorization_header_too_large")
        scheme, rest = split_scheme(authorization[0])
        if scheme.lower() != "digest":  # step 3
            return _REQUIRED
        try:  # step 4
            p = parse_authorization(rest)
        except DigestParseError:
            return _INVALID

        # Steps 5-6. Clients quote algorithm/qop/nc or not and vary their case (§1.1, §2.1).
        wanted = p.get("algorithm", "MD5").lower()
        algorithm = next((name for name in cfg.algorithms if name.lower() == wanted), None)
        username, userhash = _username(p), p.get("userhash", "false").lower()
        qop, nc, cnonce, response = p.get("qop"), p.get("nc", ""), p.get("cnonce", ""), p.get("response", "")
        if algorithm is None or not username or not all(p.get(k) for k in ("realm", "nonce", "uri")):
            return _INVALID
        if userhash not in ("true", "false"):
            return _INVALID
        if qop is None:
            # RFC 2069 form, as in the partner's doc example; -sess cannot work without a cnonce.
            if not cfg.allow_legacy or algorithm.endswith("-sess"):
                return _INVALID
        elif qop.lower() != "auth" or not cnonce or not _NC.fullmatch(nc) or int(nc, 16) == 0:
            return _INVALID
        hex_length = _HEX_LENGTHS[algorithm]
        if len(response) != hex_length or not _HEX.fullmatch(response):
            return _INVALID

        if not _uri_matches(p["uri"], target, host):  # step 7
            return Outcome(400, "digest_uri_mismatch")
        if p["realm"] != cfg.realm:  # step 8
            return _INVALID
        # Step 9: opaque is optional, since axios-digest-auth never echoes it (§1.1).
        if p.get("opaque", self._opaque) != self._opaque:
            return _INVALID
        nonce = self._check_nonce(p["nonce"])  # step 10; expiry matters only once the response is right
        if not nonce.valid:
            return _INVALID

        name = username  # step 11
        if userhash == "true":  # the field is H(name ":" realm); HA1 still uses the plain name (§1.3)
            name = self._unhashed(algorithm, username) or username
        password = self._users(name)
        common = {
            "algorithm": algorithm,
            "username": name,
            "realm": cfg.realm,
            # Unknown user: hash a dummy password so that timing and outcome match a wrong password.
            "password": _DUMMY_PASSWORD if password is None else password,
            "uri": p["uri"],
            "nonce": p["nonce"],
        }
        expected = expected_response(method=method, nc=nc, cnonce=cnonce, qop=qop, **common)  # step 12
        if not _same_hex(expected, response) or password is None:
            return _INVALID
        if nonce.expired:  # step 13: right password on an old nonce -> the client retries silently
            return Outcome(401, "nonce_expired", stale=True)
        fresh = qop is None or await self._window.admit(p["nonce"], int(nc, 16), nonce.issued_at)
        if not fresh:  # step 14
            # Apache sends a plain 401; stale=true lets Postman (nc always 00000001) recover (§2.2).
            return Outcome(401, "nonce_count_reused", stale=True)

        if qop is None:  # step 15; legacy answers get no Authentication-Info
            return Outcome(200, "", username=name)
        rspauth = response_auth(nc=nc, cnonce=cnonce, **common)
        info = f"rspauth={quote(rspauth)}, qop=auth, nc={nc}, cnonce={quote(cnonce)}"
        if self._nonces.clock() - nonce.issued_at > cfg.nextnonce_after:
            info += f', nextnonce="{self._nonces.mint()}"'
        return Outcome(200, "", username=name, authentication_info=info)


def _same_hex(expected: str, received: str) -> bool:
    # Some clients send upper-case hex (§3.4). Bytes, because a userhash field may hold any latin-1 text.
    return hmac.compare_digest(expected.encode(), received.lower().encode())


def _username(p: dict[str, str]) -> str | None:
    if "username*" in p:  # §3.4: UTF-8''J%C3%A4s%C3%B8n; both forms at once is malformed
        match = _EXT_VALUE.fullmatch(p["username*"])
        if "username" in p or match is None:
            return None
        try:
            return unquote(match[1], errors="strict")
        except UnicodeDecodeError:
            return None
    name = p.get("username")
    if name is None:
        return None
    # Starlette decodes header bytes as latin-1. curl sends UTF-8 bytes, requests latin-1 bytes (but hashes
    # UTF-8): re-decoding as UTF-8 where possible makes both work (§3.3 step 11).
    try:
        return name.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return name


def _uri_matches(uri: str, target: str, host: str | None) -> bool:
    """Apache's check (§1.4, §3.3 step 7): the exact string, else the percent-decoded path and query, plus
    host and port for an absolute-form uri (HttpClient sends one through proxies)."""
    if uri == target:
        return True
    try:
        sent, got = urlsplit(uri), urlsplit(target)
        path = sent.path
        if sent.scheme or sent.netloc:
            scheme = sent.scheme.lower()
            if scheme not in _DEFAULT_PORTS or not sent.hostname or host is None:
                return False
            port = _DEFAULT_PORTS[scheme]
            request = urlsplit(f"//{host}")
            if (sent.hostname, sent.port or port) != (request.hostname, request.port or port):
                return False
            path = path or "/"
    except ValueError:  # a bad IPv6 literal or port
        return False
    return [unquote(x) for x in (path, sent.query, sent.fragment)] == [
        unquote(x) for x in (got.path, got.query, got.fragment)
    ]
