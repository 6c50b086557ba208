"""The one seeded source of randomness: ids, tokens and every random choice the sandbox makes.

Each consumer asks for its own named stream (`Ids(seed).stream("customers")`), so adding draws to
one stream never shifts the values another stream produces: the same seed keeps giving the same
world even as the world builder grows.
"""

from __future__ import annotations

import random
import secrets
import string
import threading
import uuid
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

_CODE_ALPHABET = string.ascii_uppercase + string.digits
_TOKEN_ALPHABET = string.ascii_letters + string.digits


class Rng:
    """A seeded stream with the few draws the sandbox needs."""

    def __init__(self, seed: str) -> None:
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def guid(self) -> str:
        # documented: guids are upper-case UUIDs ("896AE1AC-E26F-4291-80B2-BF80DE0A920A")
        with self._lock:
            bits = self._random.getrandbits(128)
        return str(uuid.UUID(int=bits, version=4)).upper()

    def order_code(self) -> str:
        # documented: 8 upper-case alphanumerics ("ALS8HEVP")
        return self.text(8, _CODE_ALPHABET)

    def token(self, length: int = 32) -> str:
        # documented: price-fix tokens are 32 alphanumerics
        return self.text(length, _TOKEN_ALPHABET)

    def hex(self, length: int) -> str:
        return self.text(length, "0123456789abcdef")

    def digits(self, length: int) -> str:
        return self.text(length, string.digits)

    def text(self, length: int, alphabet: str) -> str:
        with self._lock:
            return "".join(self._random.choices(alphabet, k=length))

    def random(self) -> float:
        with self._lock:
            return self._random.random()

    def randint(self, low: int, high: int) -> int:
        with self._lock:
            return self._random.randint(low, high)

    def uniform(self, low: float, high: float) -> float:
        with self._lock:
            return self._random.uniform(low, high)

    def choice(self, options: Sequence[T]) -> T:
        with self._lock:
            return self._random.choice(options)

    def weighted(self, options: Sequence[T], weights: Sequence[float]) -> T:
        with self._lock:
            return self._random.choices(options, weights=weights, k=1)[0]

    def shuffle(self, items: list[T]) -> None:
        with self._lock:
            self._random.shuffle(items)

    def integer_seed(self) -> int:
        """A derived seed for libraries that take their own (Faker)."""
        with self._lock:
            return self._random.getrandbits(32)


class Ids:
    """Factory of named streams under one seed."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def stream(self, name: str) -> Rng:
        return Rng(f"{self.seed}:{name}")


class SystemRandom:
    """Unpredictable bytes for secrets that must not follow the seed (nonces, the Digest secret)."""

    @staticmethod
    def hex(length: int) -> str:
        return secrets.token_hex((length + 1) // 2)[:length]
