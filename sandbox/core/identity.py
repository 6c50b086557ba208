"""Turkish identity numbers (T.C. kimlik no): 11 digits, the first not 0, two check digits."""

from __future__ import annotations

from sandbox.core.ids import Rng


def identity_number(rng: Rng) -> str:
    """An 11-digit T.C. kimlik no that passes the official checksum."""
    digits = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(8)]
    tenth = (sum(digits[0:9:2]) * 7 - sum(digits[1:8:2])) % 10
    digits.append(tenth)
    digits.append(sum(digits) % 10)
    return "".join(map(str, digits))


def is_valid_identity_number(value: str) -> bool:
    if len(value) != 11 or not (value.isascii() and value.isdigit()) or value[0] == "0":
        return False
    digits = [int(c) for c in value]
    tenth = (sum(digits[0:9:2]) * 7 - sum(digits[1:8:2])) % 10
    return digits[9] == tenth and digits[10] == sum(digits[:10]) % 10
