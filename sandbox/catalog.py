"""Reference data of the partner API: products, order statuses, currencies."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class ProductInfo:
    product_id: int
    sku: str
    name: str
    currency_id: int
    metal: str
    deliverable: bool
    base_price_try: Decimal  # centre of the sandbox price walk, TRY per gram


# documented (price-fix example, api-3826800): sku, product_id, currency_id; names except GAU are ours.
PRODUCTS: tuple[ProductInfo, ...] = (
    ProductInfo(3000001, "GAU", "Gold - Digital storage", 1000004, "gold", True, Decimal("2435.00")),
    ProductInfo(3000002, "GAG", "Silver - Digital storage", 1000005, "silver", True, Decimal("30.40")),
    ProductInfo(3000088, "BGAU", "Gold (B) - Digital storage", 1000015, "gold", False, Decimal("2431.50")),
    ProductInfo(3000089, "BGAG", "Silver (B) - Digital storage", 1000016, "silver", False, Decimal("30.25")),
    ProductInfo(3000090, "GPT", "Platinum - Digital storage", 1000017, "platinum", True, Decimal("1045.00")),
    ProductInfo(
        3000091, "GPD", "Palladium - Digital storage", 1000018, "palladium", False, Decimal("990.00")
    ),
)
PRODUCTS_BY_SKU = {product.sku: product for product in PRODUCTS}
SKUS = tuple(PRODUCTS_BY_SKU)

# documented: the Order `status_name` enum; ids 1 and 2 documented, the rest a sandbox decision.
STATUSES: tuple[str, ...] = (
    "Created",
    "Pending",
    "Processing",
    "Cancelled",
    "Completed",
    "Preparing",
    "Packed",
    "Shipped",
    "Transferring",
    "Refunding",
    "Refunded",
    "Payment Confirmed",
)
STATUS_IDS = {name: number for number, name in enumerate(STATUSES, start=1)}
STATUS_NAMES = {number: name for name, number in STATUS_IDS.items()}

ORDER_TYPES = ("Buy", "Sell", "Delivery")
PAYMENT_TYPES = ("cash", "credit-card")

# documented enum; TRY's cash wallet currency_id 1000003 is seen in a delivery example, the others are ours.
CURRENCIES = ("TRY", "USD", "EUR", "GBP")
CASH_CURRENCY_IDS = {"TRY": 1000003, "USD": 1000000, "EUR": 1000001, "GBP": 1000002}
CURRENCY_SYMBOLS = {"TRY": "₺", "USD": "$", "EUR": "€", "GBP": "£"}
# Centre of the seeded sandbox FX rates: TRY per unit.
FX_BASE = {"TRY": Decimal(1), "USD": Decimal("32.80"), "EUR": Decimal("35.40"), "GBP": Decimal("41.70")}
