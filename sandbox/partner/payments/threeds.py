"""The sandbox's 3-D Secure pages: the bank page a card order's `redirect_url` opens, and the result
pages its callbacks show (sandbox decision, docs/design/contract.md §2 row 12; the callback paths
`/pay/{token}/callback/success|fail` follow the partner's e-commerce side).

Small self-contained HTML: inline style, no script, no external asset; every value is escaped. Stable
ids (`approve`, `decline`, `order-code`, `order-status`, `payment-state`, `error-message`) are for
browsers driven by tests. Labels follow Accept-Language (tr default, en).
"""

from __future__ import annotations

from decimal import Decimal
from html import escape

from sandbox.catalog import STATUS_NAMES
from sandbox.core import i18n
from sandbox.store.models import Order, Payment

MERCHANT = "Minted Sandbox"
# Sent with every page: nothing may load from elsewhere, the form posts only back here.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; "
        "frame-ancestors 'none'"
    ),
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}

LABELS: dict[str, tuple[str, str]] = {
    "title": ("3-D Secure doğrulaması", "3-D Secure verification"),
    "intro": (
        "Sandbox bankası: ödemeyi onaylayın veya reddedin. Gerçek bir kart kullanılmaz.",
        "Sandbox bank: approve or decline the payment. No real card is involved.",
    ),
    "merchant": ("İşyeri", "Merchant"),
    "amount": ("Tutar", "Amount"),
    "comission": ("Komisyon", "Commission"),
    "total": ("Toplam", "Total"),
    "installment": ("Taksit", "Installments"),
    "card": ("Kart", "Card"),
    "holder": ("Kart sahibi", "Card holder"),
    "order": ("Sipariş kodu", "Order code"),
    "approve": ("Onayla", "Approve"),
    "decline": ("Reddet", "Decline"),
    "success": ("Ödeme başarılı", "Payment successful"),
    "fail": ("Ödeme başarısız", "Payment failed"),
    "new": ("Ödeme bekleniyor", "Payment pending"),
    "refunded": ("Ödeme iade edildi", "Payment refunded"),
    "status": ("Sipariş durumu", "Order status"),
    "state": ("Ödeme durumu", "Payment state"),
    "transaction": ("İşlem numarası", "Transaction id"),
    "error": ("Hata", "Error"),
    "bad_action": (
        "action alanı approve veya decline olmalıdır.",
        "The action field must be approve or decline.",
    ),
    "back": ("Ödeme sayfasına dön", "Back to the payment page"),
}

_STYLE = """
body{font-family:system-ui,sans-serif;background:#f3f4f6;color:#111827;margin:0;padding:2rem}
main{max-width:28rem;margin:auto;background:#fff;border-radius:.5rem;padding:1.5rem;
box-shadow:0 1px 3px rgba(0,0,0,.15)}
h1{font-size:1.25rem;margin-top:0}dl{display:grid;grid-template-columns:auto 1fr;gap:.4rem 1rem}
dt{color:#6b7280}dd{margin:0;font-weight:600}form{display:flex;gap:1rem;margin-top:1.5rem}
button{flex:1;padding:.7rem;border:0;border-radius:.4rem;font-size:1rem;cursor:pointer;color:#fff}
#approve{background:#047857}#decline{background:#b91c1c}.note{color:#6b7280;font-size:.9rem}
"""


def _labels(locale: str) -> dict[str, str]:
    index = i18n.LOCALES.index(locale)
    return {key: pair[index] for key, pair in LABELS.items()}


def _money(value: Decimal, currency: str, locale: str) -> str:
    """1,266.17 TRY in English, 1.266,17 TRY in Turkish."""
    text = f"{value:,.2f}"
    if locale == "tr":
        text = text.translate(str.maketrans(",.", ".,"))
    return f"{text} {currency}"


def _document(title: str, body: str, locale: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="{escape(locale)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} — {escape(MERCHANT)}</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>\n"
    )


def _rows(rows: list[tuple[str, str, str]]) -> str:
    """<dl> rows of (id, label, value); every value escaped here."""
    cells = "".join(
        f'<dt>{escape(label)}</dt><dd id="{escape(ident)}">{escape(value)}</dd>'
        for ident, label, value in rows
    )
    return f"<dl>{cells}</dl>"


def payment_page(payment: Payment, order: Order, locale: str, root: str) -> str:
    """The bank page: who is charged how much on which card, and the Approve / Decline form (posted
    back to the page, under `root`)."""
    t = _labels(locale)
    token = escape(payment.token)
    rows = [
        ("merchant", t["merchant"], MERCHANT),
        ("order-code", t["order"], order.order_code),
        ("amount", t["amount"], _money(payment.amount, order.currency_code, locale)),
        ("comission", t["comission"], _money(payment.comission, order.currency_code, locale)),
        ("total", t["total"], _money(payment.total, order.currency_code, locale)),
        ("installment", t["installment"], str(payment.installment)),
        ("card", t["card"], f"{payment.card_association} {payment.card_number}"),
        ("holder", t["holder"], payment.card_holder),
    ]
    body = (
        f'<h1>{escape(t["title"])}</h1><p class="note">{escape(t["intro"])}</p>{_rows(rows)}'
        f'<form method="post" action="{escape(root)}/pay/{token}">'
        f'<button type="submit" id="approve" name="action" value="approve">{escape(t["approve"])}</button>'
        f'<button type="submit" id="decline" name="action" value="decline">{escape(t["decline"])}</button>'
        "</form>"
    )
    return _document(t["title"], body, locale)


def result_page(payment: Payment, order: Order, locale: str) -> str:
    """A callback page: the order and its payment as they are now."""
    t = _labels(locale)
    headline = t.get(payment.state, payment.state)
    rows = [
        ("order-code", t["order"], order.order_code),
        ("order-status", t["status"], STATUS_NAMES[order.status_id]),
        ("payment-state", t["state"], payment.state),
        ("total", t["total"], _money(payment.total, order.currency_code, locale)),
    ]
    if payment.transaction_id:
        rows.append(("transaction-id", t["transaction"], payment.transaction_id))
    if payment.error_message:
        rows.append(("error-message", t["error"], f"{payment.error_code}: {payment.error_message}"))
    body = f'<h1 id="result" data-state="{escape(payment.state)}">{escape(headline)}</h1>{_rows(rows)}'
    return _document(headline, body, locale)


def not_found_page(locale: str) -> str:
    message = i18n.message("payment_not_found", locale)
    return _document(message, f'<h1 id="result" data-state="not-found">{escape(message)}</h1>', locale)


def bad_action_page(token: str, locale: str, root: str) -> str:
    t = _labels(locale)
    message = t["bad_action"]
    body = (
        f'<h1 id="result" data-state="invalid">{escape(message)}</h1>'
        f'<p><a href="{escape(root)}/pay/{escape(token)}">{escape(t["back"])}</a></p>'
    )
    return _document(message, body, locale)
