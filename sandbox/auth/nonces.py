"""Stateless HMAC nonces and the per-nonce nc replay window (docs/design/digest.md §4).

Time and randomness are injected: the nonce clock is separate from the business clock, so tests move
it past the TTL without sleeping and freezing business time never makes nonces immortal (§4.1).
The replay window is in this process's memory (`NcWindow`, for an in-memory database: one process),
in a memory-mapped file that every process serving one database file shares (`SharedNcWindow`), or in
a table of a PostgreSQL store that every replica shares (`ServerNcWindow`).
"""

from __future__ import annotations

import asyncio
import ctypes
import errno
import fcntl
import hashlib
import heapq
import hmac
import io
import logging
import mmap
import os
import re
import struct
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import psycopg

from sandbox.store import postgres
from sandbox.store.errors import unavailable

_NONCE = re.compile(r"[0-9a-f]{56}")
CLOCK_SKEW = 5.0  # a nonce minted by another worker whose clock runs slightly ahead is still ours
# How far above the lowest nc not yet seen a nonce's answers may run (§4.2). Clients that share one
# nonce over many connections (wrk, async httpx) have their requests checked out of send order, by up
# to about their requests in flight; 4,096 is far beyond any of them, and at most 512 bytes a nonce.
WINDOW = 4096

log = logging.getLogger("sandbox.auth")


@dataclass(frozen=True)
class NonceCheck:
    valid: bool
    expired: bool = False
    issued_at: int = 0


class NonceManager:
    """Mints and checks `"%08x" time + 16 random hex + 32 hex HMAC` nonces: no store, no cookies (§4.1)."""

    def __init__(
        self,
        secret: bytes,
        realm: str,
        ttl: float,
        clock: Callable[[], float],
        random_hex: Callable[[int], str],
    ) -> None:
        self.realm = realm
        self.ttl = ttl
        self.clock = clock
        self._secret = secret
        self._random_hex = random_hex

    def _mac(self, text: str) -> str:
        return hmac.new(self._secret, text.encode(), hashlib.sha256).hexdigest()[:32]

    def mint(self) -> str:
        # Hex only: naive client parsers split the challenge on "=" and "," (§1.1).
        body = f"{int(self.clock()):08x}{self._random_hex(16).lower()}"
        return body + self._mac(f"{body}:{self.realm}")

    @property
    def opaque(self) -> str:
        return self._mac(f"opaque:{self.realm}")

    def check(self, nonce: str) -> NonceCheck:
        if not _NONCE.fullmatch(nonce) or not hmac.compare_digest(
            nonce[24:], self._mac(f"{nonce[:24]}:{self.realm}")
        ):
            return NonceCheck(valid=False)
        issued_at = int(nonce[:8], 16)
        age = self.clock() - issued_at
        if age < -CLOCK_SKEW:
            return NonceCheck(valid=False)
        return NonceCheck(valid=True, expired=age > self.ttl, issued_at=issued_at)


class _Window:
    """The nc values of one nonce: all up to `floor` are used (seen, or given up when the window had to
    move past them); bit i of `seen` is nc floor + 1 + i. In-order answers keep `seen` at 0."""

    __slots__ = ("floor", "seen")

    def __init__(self, floor: int = 0, seen: int = 0) -> None:
        self.floor = floor
        self.seen = seen

    def accept(self, nc: int) -> bool:
        offset = nc - self.floor - 1
        if offset < 0:
            return False
        if offset >= WINDOW:  # slide: the values it leaves behind unseen stay refused
            self.seen >>= offset - WINDOW + 1
            self.floor += offset - WINDOW + 1
            offset = WINDOW - 1
        elif self.seen >> offset & 1:
            return False
        self.seen |= 1 << offset
        used = (self.seen ^ (self.seen + 1)).bit_length() - 1  # the run of seen values above the floor
        self.seen >>= used
        self.floor += used
        return True


class ReplayWindow(Protocol):
    def accept(self, nonce: str, nc: int, issued_at: int) -> bool:
        """Record nc for a nonce answered rightly; False if it was used (or the nonce counts as expired)."""
        ...

    async def admit(self, nonce: str, nc: int, issued_at: int) -> bool:
        """`accept` for a request on the event loop, which goes on serving others meanwhile."""
        ...

    def close(self) -> None: ...


class _Immediate:
    """A window answered in this process's memory: `admit` is `accept`, no waiting to hand off."""

    def accept(self, nonce: str, nc: int, issued_at: int) -> bool:
        raise NotImplementedError

    async def admit(self, nonce: str, nc: int, issued_at: int) -> bool:
        return self.accept(nonce, nc, issued_at)


class NcWindow(_Immediate):
    """Replay check per nonce, kept only for nonces used with a valid response (§4.2). Per process."""

    def __init__(self, ttl: float, clock: Callable[[], float], capacity: int = 100_000) -> None:
        self._ttl = ttl
        self._clock = clock
        self._capacity = capacity
        self._lock = threading.Lock()
        self._windows: dict[str, _Window] = {}
        self._by_issue: list[tuple[int, str]] = []  # heap: purge and evict in issue order
        # Everything issued at or before the floor was evicted or expired; treating it as expired
        # keeps eviction from re-opening replays (§4.2 "hard cap").
        self._floor: tuple[int, str] = (-1, "")

    def __len__(self) -> int:
        return len(self._windows)

    def accept(self, nonce: str, nc: int, issued_at: int) -> bool:
        with self._lock:
            now = self._clock()
            while self._by_issue and now - self._by_issue[0][0] > self._ttl:
                self._drop_oldest()
            key = (issued_at, nonce)
            if nc < 1 or now - issued_at > self._ttl or key <= self._floor:
                return False
            window = self._windows.get(nonce)
            if window is None:
                if len(self._windows) >= self._capacity:
                    self._drop_oldest()
                window = self._windows[nonce] = _Window()
                heapq.heappush(self._by_issue, key)
            return window.accept(nc)

    def _drop_oldest(self) -> None:
        key = heapq.heappop(self._by_issue)
        del self._windows[key[1]]
        self._floor = max(self._floor, key)

    def close(self) -> None:
        """Nothing to let go of: the windows are this process's memory."""


# The shared window's file: a header, then fixed slots of [key | issued_at | floor | bitmap]. A nonce's
# slot is found by hashing it and probing the PROBE slots from there (the table has PROBE - 1 extra
# slots at its end, so a run never wraps). 32,768 slots of 544 bytes: 17 MiB, written out in full when
# the file is made, so that no request ever needs disk space for it: a full disk (or a file size limit)
# never refuses an authenticated read. Eviction comes only when all 8 slots of a run hold live nonces.
SLOTS = 32_768
PROBE = 8
_MAGIC = b"SBXNONCE"
_VERSION = 2  # 1: a sparse file written with pwrite
_HEADER = struct.Struct("<8sIIII")  # magic, version, slots, probe, window width
_FLOOR = struct.Struct("<q16s")  # the shared floor: (issued_at, key) of the latest nonce evicted
_FLOOR_AT = _HEADER.size
_NO_FLOOR = (0, bytes(16))  # a new file's zeros
_HEAD_SIZE = 64
_SLOT = struct.Struct("<16sqQ")  # key (a hash of the nonce), issued_at, the window's floor
_BITS = WINDOW // 8
_SLOT_SIZE = _SLOT.size + _BITS
_RUN = struct.Struct("<" + f"16sqQ{_BITS}x" * PROBE)
_EVERY_SLOT = struct.Struct(f"<16sq{_BITS + 8}x")


class NonceFileError(ValueError):
    pass


def _gil_holding_flock() -> Callable[[int, int], None]:
    """flock(2) tried first without letting go of the interpreter lock, as `fcntl.flock` does. Every
    process holds the window's lock for a few microseconds only; but each time the event loop's thread
    let go of the interpreter for it, another thread (the journal's writer, a route's) could keep it for
    milliseconds: in a profile of S1, 5 % of the server's time was spent waiting at this lock. When the
    lock is taken, the wait is `fcntl.flock`'s, which lets go: a holder in this process (another window
    on the same file) must be able to run to let go of it."""
    try:
        call = ctypes.PyDLL(None, use_errno=True).flock
    except (AttributeError, OSError):  # no flock symbol in this process: the standard call
        return fcntl.flock
    call.argtypes, call.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int

    def flock(descriptor: int, operation: int) -> None:
        if call(descriptor, operation | fcntl.LOCK_NB) == 0:
            return
        error = ctypes.get_errno()
        if error not in (errno.EWOULDBLOCK, errno.EINTR):
            raise OSError(error, os.strerror(error))
        fcntl.flock(descriptor, operation)

    return flock


_flock = _gil_holding_flock()


class SharedNcWindow(_Immediate):
    """`NcWindow` for every process serving one database file (§4.2): the windows live in a file, read
    and written through a shared memory map, and each check-and-record holds an exclusive flock on
    it, behind this instance's own lock (the threads of one process share its flock). The hard cap is
    per probe run: when all its slots hold live nonces, the oldest issued goes and the shared floor
    rises to it. A slot whose nonce has expired or is below the floor is free; all zeros is an empty
    window with floor (0, zeros)."""

    def __init__(self, path: Path, ttl: float, clock: Callable[[], float], slots: int = SLOTS) -> None:
        self._ttl = ttl
        self._clock = clock
        self._slots = slots
        self._lock = threading.Lock()
        self._file, self._map = _map_file(path, slots)
        self._descriptor = self._file.fileno()

    def __len__(self) -> int:
        """The nonces tracked: issued within the TTL, above the floor."""
        with self._lock:
            fcntl.flock(self._descriptor, fcntl.LOCK_EX)
            try:
                now = self._clock()
                floor = self._floor(self._map, now)
                table = self._map[_HEAD_SIZE:]
            finally:
                fcntl.flock(self._descriptor, fcntl.LOCK_UN)
        return sum(1 for key, at in _EVERY_SLOT.iter_unpack(table) if self._live(now, floor, at, key))

    def _live(self, now: float, floor: tuple[int, bytes], at: int, key: bytes) -> bool:
        # A slot issued in the future was never written by a window (the file was damaged): free.
        return -CLOCK_SKEW <= now - at <= self._ttl and (at, key) > floor

    @staticmethod
    def _floor(shared: mmap.mmap, now: float) -> tuple[int, bytes]:
        floor: tuple[int, bytes] = _FLOOR.unpack_from(shared, _FLOOR_AT)
        # Only a live nonce raises it: a floor in the future was never set by a window (a damaged file).
        return _NO_FLOOR if floor[0] > now + CLOCK_SKEW else floor

    def accept(self, nonce: str, nc: int, issued_at: int) -> bool:
        key = hashlib.blake2b(nonce.encode(), digest_size=16).digest()
        run = _HEAD_SIZE + int.from_bytes(key[:8], "little") % self._slots * _SLOT_SIZE
        with self._lock:
            _flock(self._descriptor, fcntl.LOCK_EX)
            try:
                return self._accept(key, run, nc, issued_at)
            finally:
                _flock(self._descriptor, fcntl.LOCK_UN)

    def _accept(self, key: bytes, run: int, nc: int, issued_at: int) -> bool:
        shared, now = self._map, self._clock()
        floor = self._floor(shared, now)
        if nc < 1 or now - issued_at > self._ttl or (issued_at, key) <= floor:
            return False
        fields = _RUN.unpack_from(shared, run)
        keys = fields[0::3]
        if key in keys:
            index = keys.index(key)
            slot = run + index * _SLOT_SIZE
            seen = int.from_bytes(shared[slot + _SLOT.size : slot + _SLOT_SIZE], "little")
            window = _Window(fields[3 * index + 2], seen)
        else:
            held = list(zip(fields[1::3], keys, strict=True))  # (issued_at, key) per slot
            free = (i for i, (at, old) in enumerate(held) if not self._live(now, floor, at, old))
            index = next(free, -1)
            if index < 0:  # the hard cap: all up to the evicted nonce counts as expired from now on
                index = min(range(PROBE), key=held.__getitem__)
                self._write(_FLOOR.pack(*held[index]), _FLOOR_AT)
            slot = run + index * _SLOT_SIZE
            window = _Window()
        if not window.accept(nc):
            return False
        self._write(_SLOT.pack(key, issued_at, window.floor) + window.seen.to_bytes(_BITS, "little"), slot)
        return True

    def close(self) -> None:
        with self._lock:
            self._map.close()
            self._file.close()

    def _write(self, data: bytes, offset: int) -> None:
        # Through the map: the file's blocks were all written when it was made (`_initialise`), so this
        # needs no disk space and no system call.
        self._map[offset : offset + len(data)] = data


def _map_file(path: Path, slots: int) -> tuple[io.FileIO, mmap.mmap]:
    """Open and map the window file, making it if need be, under its lock: two processes starting at once
    make it once. A file of another version of the sandbox is replaced by a new one rather than changed
    in place, since a process still serving from it must keep the size it mapped."""
    header = _HEADER.pack(_MAGIC, _VERSION, slots, PROBE, WINDOW)
    size = _HEAD_SIZE + (slots + PROBE - 1) * _SLOT_SIZE
    while True:
        file = io.FileIO(os.open(path, os.O_RDWR | os.O_CREAT, 0o600), "r+")  # kept open while mapped
        try:
            fcntl.flock(file, fcntl.LOCK_EX)
            if _ready(path, file, header, size):
                mapped = mmap.mmap(file.fileno(), size, access=mmap.ACCESS_WRITE)
                fcntl.flock(file, fcntl.LOCK_UN)
                return file, mapped
        except BaseException:
            file.close()
            raise
        file.close()  # another file is at the path now: open that one


def _ready(path: Path, file: io.FileIO, header: bytes, size: int) -> bool:
    """Under the open file's lock: True when it is a window now, False when another file replaced it."""
    if not _names(path, file):  # replaced while this process waited for the lock
        return False
    found, length = os.pread(file.fileno(), _HEADER.size, 0), os.fstat(file.fileno()).st_size
    if length <= size and not found.strip(b"\0"):  # new, or its maker stopped half-way
        _initialise(file.fileno(), header, size)
    elif (found, length) != (header, size):
        if not found.startswith(_MAGIC):
            raise NonceFileError(
                f"{path} is not a Digest replay window of the sandbox (which keeps one beside the "
                "database, in that name); move the file away or use another database path"
            )
        log.warning("replacing %s, made by another version of the sandbox", path)
        _replace(path, header, size)
        return False
    return True


def _names(path: Path, file: io.FileIO) -> bool:
    """`path` still names the open file."""
    try:
        now = path.stat()
    except FileNotFoundError:
        return False
    opened = os.fstat(file.fileno())
    return (now.st_dev, now.st_ino) == (opened.st_dev, opened.st_ino)


def _initialise(descriptor: int, header: bytes, size: int) -> None:
    """Every byte written out (not a sparse file: its blocks are on disk from now on), header last: a
    file with a header is whole. A disk too full for it stops the server at start, naming the file."""
    chunk = bytes(1 << 20)
    for offset in range(0, size, len(chunk)):
        os.pwrite(descriptor, chunk[: size - offset], offset)
    os.pwrite(descriptor, header, 0)


def _replace(path: Path, header: bytes, size: int) -> None:
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    with open(partial, "wb") as file:
        _initialise(file.fileno(), header, size)
    os.replace(partial, path)


_NC_TABLE = (
    "CREATE TABLE IF NOT EXISTS sandbox_digest_nc (key bytea, nc bigint, issued_at bigint NOT NULL,"
    " PRIMARY KEY (key, nc))"
)


# The nonce counts of one batch (`ServerNcWindow`) accepted at once: each only within WINDOW of the highest
# count its nonce had before the batch, as `_Window` accepts it; the ones already there come back as no row.
_NC_INSERT = (
    "INSERT INTO sandbox_digest_nc (key, nc, issued_at)"
    " SELECT t.key, t.nc, t.issued_at"
    " FROM unnest(%s::bytea[], %s::bigint[], %s::bigint[]) AS t(key, nc, issued_at)"
    f" WHERE t.nc > coalesce((SELECT max(s.nc) FROM sandbox_digest_nc s WHERE s.key = t.key), 0) - {WINDOW}"
    " ON CONFLICT DO NOTHING RETURNING key, nc"
)
_PURGE = (
    "WITH gone AS (DELETE FROM sandbox_digest_nc WHERE issued_at < %s RETURNING 1) SELECT count(*) FROM gone"
)

_Check = tuple[bytes, int, int, "Future[bool]"]  # key, nc, issued_at, the answer


class ServerNcWindow:
    """`NcWindow` for every process (every replica, on any machine) serving one PostgreSQL database:
    each nonce count answered rightly is a row of `sandbox_digest_nc`, and the same one again is refused
    by its primary key. Rows of nonces past their TTL go every PURGE_EVERY accepts; the table needs no
    hard cap (it is on the database server's disk, not in a process's memory).

    One thread of its own talks to the database: it takes every check that arrived while its previous
    statement ran and answers them all with one statement (a group commit). The event loop awaits its
    answer (`admit`) instead of waiting a round trip per request."""

    PURGE_EVERY = 1000

    def __init__(self, conninfo: str, ttl: float, clock: Callable[[], float]) -> None:
        self._conninfo = conninfo
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()  # the connection
        self._connection: psycopg.Connection[tuple[object, ...]] | None = None
        self._arrived = threading.Condition()  # the queue and the thread: never held over a statement
        self._pending: list[_Check] = []
        self._thread: threading.Thread | None = None
        self._closed = False
        self._accepted = 0

    def __len__(self) -> int:
        """The nonces tracked: issued within the TTL."""
        floor = int(self._clock() - self._ttl)
        with self._lock:
            rows = self._run("SELECT count(DISTINCT key) FROM sandbox_digest_nc WHERE issued_at >= %s", floor)
        return int(str(rows[0][0]))

    def accept(self, nonce: str, nc: int, issued_at: int) -> bool:
        return self._submit(nonce, nc, issued_at).result()

    async def admit(self, nonce: str, nc: int, issued_at: int) -> bool:
        return await asyncio.wrap_future(self._submit(nonce, nc, issued_at))

    def _submit(self, nonce: str, nc: int, issued_at: int) -> Future[bool]:
        answer: Future[bool] = Future()
        if nc < 1 or self._clock() - issued_at > self._ttl:
            answer.set_result(False)
            return answer
        key = hashlib.blake2b(nonce.encode(), digest_size=16).digest()
        with self._arrived:
            if self._closed:
                raise unavailable()
            self._pending.append((key, nc, issued_at, answer))
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name="digest-nc-window", daemon=True)
                self._thread.start()
            self._arrived.notify()
        return answer

    def _serve(self) -> None:
        while True:
            with self._arrived:
                while not self._pending and not self._closed:
                    self._arrived.wait()
                if self._closed and not self._pending:
                    return
                taken, self._pending = self._pending, []
            # A request whose client went away cancelled its wait: it gets no answer (and its count is
            # not used). The others can no longer be cancelled once taken.
            batch = [check for check in taken if check[3].set_running_or_notify_cancel()]
            if not batch:
                continue
            try:
                with self._lock:
                    accepted = self._check(batch)
            except Exception as error:  # store_unavailable, or anything else: never the thread's end
                for *_, answer in batch:
                    answer.set_exception(error)
                continue
            for key, nc, _, answer in batch:
                answer.set_result((key, nc) in accepted)
                accepted.discard((key, nc))  # the same count twice in one batch: the second is a replay

    def _check(self, batch: list[_Check]) -> set[tuple[bytes, int]]:
        """The (key, nc) of the batch not seen before (under `_lock`)."""
        self._accepted += len(batch)
        if self._accepted >= self.PURGE_EVERY:
            self._accepted = 0
            self._run(_PURGE, int(self._clock() - self._ttl - CLOCK_SKEW))
        keys, ncs, issued = ([check[column] for check in batch] for column in range(3))
        return {(bytes(key), int(nc)) for key, nc in self._run(_NC_INSERT, keys, ncs, issued)}  # type: ignore[call-overload]

    def _run(self, sql: str, *parameters: object) -> list[tuple[object, ...]]:
        """The statement's rows; a database that fails answers store_unavailable (under `_lock`)."""
        try:
            if self._connection is None or self._connection.closed:
                self._connection = postgres.side_connection(self._conninfo, [_NC_TABLE])
            return self._connection.execute(sql, parameters).fetchall()
        except psycopg.Error as error:
            log.warning("Digest replay window unavailable: %s", error)
            raise unavailable() from error

    def close(self) -> None:
        with self._arrived:
            self._closed = True
            self._arrived.notify()
            thread = self._thread
        if thread is not None:
            thread.join()
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
