"""Card rules: Luhn, networks, masking, expiry, the BIN table with its installment commissions, and the
magic cards that make the sandbox's processor approve or decline.

sandbox decisions (docs/design/contract.md §2 rows 9–12): the partner documents only the test card
`4048095010857528` (masked `404809******7528`, Visa) and the Payment block; the BIN table, the
commission rates and every other magic card below are ours. Nothing here touches the store.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sandbox.core.clock import ISTANBUL
from sandbox.core.money import money

# Use with fullmatch (`$` lets a trailing newline through); [0-9], not \d (any script's digits).
EXPIRY = re.compile(r"(0[1-9]|1[0-2])/([0-9]{2})")
BIN_PATTERN = re.compile(r"[0-9]{6,8}")


# -- numbers -----------------------------------------------------------------------------------------


def digits_of(number: str) -> str | None:
    """The digits of a card number written with or without spaces, or None when it is not 13–19 digits."""
    compact = number.replace(" ", "")
    return compact if re.fullmatch(r"[0-9]{13,19}", compact) else None


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def association(digits: str) -> str | None:
    """The documented card_association of a number or BIN by its leading digits, None for others.

    4 Visa; 51–55 and 2221–2720 Mastercard; 9792 Troy; 34 and 37 Amex.
    """
    if digits.startswith(("34", "37")):
        return "Amex"
    if digits.startswith("9792"):
        return "Troy"
    if digits.startswith("4"):
        return "Visa"
    if digits.startswith(("51", "52", "53", "54", "55")) or 2221 <= int(digits[:4]) <= 2720:
        return "Mastercard"
    return None


def fingerprint(digits: str, seed: int) -> str:
    """Keyed HMAC-SHA256 of the card's digits: finds a re-saved card without keeping its number."""
    key = hashlib.sha256(f"minted-sandbox:card-fingerprint:{seed}".encode()).digest()
    return hmac.new(key, digits.encode(), hashlib.sha256).hexdigest()


def mask(digits: str) -> str:
    """documented shape `404809******7528`: the first 6 and last 4 digits, a `*` for each in between."""
    return digits[:6] + "*" * (len(digits) - 10) + digits[-4:]


def cvv_ok(cvv: str, network: str | None) -> bool:
    """Amex prints a 4-digit code, the other networks 3."""
    return re.fullmatch(r"[0-9]{4}" if network == "Amex" else r"[0-9]{3}", cvv) is not None


def expiry_ok(text: str, now: datetime) -> bool:
    """A card is valid through the last day of its MM/YY month, Istanbul time (`text` matches EXPIRY)."""
    month, year = (int(part) for part in text.split("/"))
    year += 2000
    first_after = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=ISTANBUL)
    return now < first_after


# -- BINs and installments ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BinInfo:
    card_association: str
    bank_name: str | None
    card_type: str  # credit | debit
    installments: tuple[int, ...]


# documented (Card Payment Get Order, api-4295600): a card order's `payment_cost` is 10 (in the order's
# currency; the only example is in TRY) and part of no total.
CARD_PAYMENT_COST = Decimal(10)
INSTALLMENTS = (1, 2, 3, 6, 9, 12)
SINGLE = (1,)
# Commission per installment count beyond one, in percent, before the BIN's own offset.
BASE_RATES = {2: "3.49", 3: "4.49", 6: "7.49", 9: "10.49", 12: "13.49"}

KNOWN_BINS: dict[str, BinInfo] = {
    "404809": BinInfo("Visa", "Akbank", "credit", INSTALLMENTS),  # the documented test card's BIN
    "400000": BinInfo("Visa", "Sandbox Bank", "credit", INSTALLMENTS),
    "540061": BinInfo("Mastercard", "Garanti BBVA", "credit", INSTALLMENTS),
    "555555": BinInfo("Mastercard", "Sandbox Bank", "credit", INSTALLMENTS),
    "979204": BinInfo("Troy", "Ziraat Bankası", "debit", SINGLE),
    "374245": BinInfo("Amex", "Garanti BBVA", "credit", SINGLE),
}


def bin_info(bin_digits: str) -> BinInfo | None:
    """What the sandbox knows of a BIN (its first 6 digits decide): the table, else the network alone
    with no bank, one installment and `credit`; None when no documented network starts that way."""
    known = KNOWN_BINS.get(bin_digits[:6])
    if known is not None:
        return known
    network = association(bin_digits)
    return BinInfo(network, None, "credit", SINGLE) if network else None


def rate_offset(bin_digits: str) -> Decimal:
    """The BIN's own commission offset, −0.50 … +0.50 percentage points, fixed by a hash of its first
    6 digits (the same card always costs the same)."""
    digest = hashlib.sha256(f"minted-sandbox:bin:{bin_digits[:6]}".encode()).digest()
    return Decimal(int.from_bytes(digest[:4], "big") % 101 - 50).scaleb(-2)


def commission_rate(bin_digits: str, installment: int) -> Decimal:
    """A fraction (0.0349 = 3.49 %) of the amount. documented (Card Payment Get Order): a single
    payment has `comission: 0`; installments cost the rates below (sandbox decision)."""
    if installment == 1:
        return Decimal(0)
    return ((Decimal(BASE_RATES[installment]) + rate_offset(bin_digits)) / 100).quantize(Decimal("0.0001"))


@dataclass(frozen=True)
class InstallmentRow:
    installment: int
    amount_per_installment: Decimal
    total: Decimal
    comission: Decimal  # sic: the partner's spelling


def installment_row(bin_digits: str, installment: int, amount: Decimal) -> InstallmentRow:
    """comission = amount × rate (2 dp); total = amount + comission; per installment = total / n (2 dp)."""
    comission = money(amount * commission_rate(bin_digits, installment))
    total = amount + comission
    return InstallmentRow(installment, money(total / installment), total, comission)


# -- magic cards ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """What the sandbox's processor does with a card once the cardholder approves (or at once, non-3-D)."""

    name: str
    three_d: bool
    error_code: str | None = None
    error_message: str | None = None

    @property
    def approves(self) -> bool:
        return self.error_code is None


SCENARIOS: dict[str, Scenario] = {
    scenario.name: scenario
    for scenario in (
        Scenario("approve", True),
        Scenario("insufficient_funds", True, "51", "Yetersiz bakiye / Insufficient funds"),
        Scenario("stolen_card", True, "43", "Çalıntı kart / Stolen card"),
        Scenario("expired_card", True, "54", "Süresi dolmuş kart / Expired card"),
        Scenario("invalid_cvv", True, "82", "Hatalı CVV / Invalid CVV"),
        Scenario(
            "3ds_failed", True, "3D-01", "3-D Secure doğrulaması başarısız / 3-D Secure authentication failed"
        ),
        Scenario("non3d", False),
    )
}
# The cardholder pressed Decline on the 3-D Secure page.
DECLINED_BY_CARDHOLDER = ("3D-02", "İşlem kullanıcı tarafından reddedildi / Declined by the cardholder")

# Every magic card passes the Luhn check; any other valid card behaves like the documented test card.
MAGIC_CARDS: dict[str, str] = {
    "4048095010857528": "approve",  # documented test card
    "4000000000009995": "insufficient_funds",
    "4000000000009979": "stolen_card",
    "4000000000000069": "expired_card",
    "4000000000000127": "invalid_cvv",
    "4000000000003220": "3ds_failed",
    "5555555555554444": "non3d",
}


def scenario_of(digits: str) -> str:
    """The scenario name a card number triggers (stored on the payment or the stored card)."""
    return MAGIC_CARDS.get(digits, "approve")


def scenario(name: str) -> Scenario:
    return SCENARIOS.get(name, SCENARIOS["approve"])


def magic_card_table() -> list[dict[str, str | bool | None]]:
    """The magic cards as rows of the docs' magic values table: number, 3-D or not, and the outcome
    after Approve."""
    rows = []
    for number, name in MAGIC_CARDS.items():
        outcome = SCENARIOS[name]
        rows.append(
            {
                "card_number": number,
                "card_association": association(number),
                "is_3d": outcome.three_d,
                "scenario": name,
                "error_code": outcome.error_code,
                "error_message": outcome.error_message,
            }
        )
    return rows
