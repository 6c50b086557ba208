"""Every message the sandbox sends, in the partner's two languages (`Accept-Language`: tr default, en)."""

from __future__ import annotations

from collections.abc import Mapping

LOCALES = ("tr", "en")
DEFAULT_LOCALE = "tr"

# The error catalogue: key -> (HTTP status, tr, en). Keys are the stable `data.error` values; README.md
# publishes this table (tests/unit/test_catalogue.py keeps the two equal).
MESSAGES: dict[str, tuple[int, str, str]] = {
    # Digest authentication (DIGEST.md §7)
    "authentication_required": (401, "Kimlik doğrulaması gerekli.", "Authentication required."),
    "invalid_credentials": (401, "Geçersiz kimlik bilgileri.", "Invalid authentication credentials."),
    "nonce_expired": (
        401,
        "Nonce süresi doldu, yeniden deneyin.",
        "Nonce expired, retry with the new nonce.",
    ),
    "nonce_count_reused": (401, "Nonce sayacı yeniden kullanıldı.", "Nonce count reused."),
    "digest_uri_mismatch": (
        400,
        "Digest uri değeri istek hedefiyle eşleşmiyor.",
        "Digest uri does not match the request target.",
    ),
    "authorization_header_too_large": (
        400,
        "Authorization başlığı çok büyük.",
        "Authorization header too large.",
    ),
    # Partner headers
    "missing_header": (422, "{header} başlığı zorunludur.", "The {header} header is required."),
    "invalid_header": (
        422,
        "{header} başlığı geçersiz; izin verilen değerler: {allowed}.",
        "The {header} header is invalid; allowed values: {allowed}.",
    ),
    # Request shape
    "validation_failed": (
        422,
        "Parametre hatası: gönderilen veri geçersiz.",
        "Parameter error: the given data was invalid.",
    ),
    "malformed_json": (422, "İstek gövdesi geçerli bir JSON değil.", "The request body is not valid JSON."),
    "unsupported_media_type": (
        415,
        "İstek gövdesi application/json olmalıdır.",
        "The request body must be application/json.",
    ),
    "payload_too_large": (
        413,
        "İstek gövdesi {limit} bayttan büyük olamaz.",
        "The request body must not be larger than {limit} bytes.",
    ),
    "route_not_found": (404, "İstenen adres bulunamadı.", "The requested route does not exist."),
    "method_not_allowed": (
        405,
        "Bu adres {method} yöntemini desteklemiyor.",
        "This route does not support the {method} method.",
    ),
    "http_error": (400, "İstek işlenemedi.", "The request could not be processed."),
    "internal_error": (500, "Beklenmeyen bir hata oluştu.", "An unexpected error occurred."),
    # Orders
    "order_not_found": (404, "Sipariş bulunamadı.", "Order not found."),
    "order_identifier_required": (
        422,
        "guid, order_code veya external_id alanlarından en az biri gereklidir.",
        "At least one of guid, order_code or external_id is required.",
    ),
    "order_identifiers_conflict": (
        422,
        "Gönderilen tanımlayıcılar farklı siparişleri gösteriyor.",
        "The given identifiers point to different orders.",
    ),
}

# Field-level messages for validation errors, by pydantic error type (tr, en).
FIELD_MESSAGES: dict[str, tuple[str, str]] = {
    "missing": ("Bu alan zorunludur.", "This field is required."),
    "extra_forbidden": ("Bu alan tanınmıyor.", "This field is not allowed."),
    "string_type": ("Metin olmalıdır.", "Must be a string."),
    "string_too_short": (
        "En az {min_length} karakter olmalıdır.",
        "Must have at least {min_length} characters.",
    ),
    "string_too_long": (
        "En fazla {max_length} karakter olabilir.",
        "Must have at most {max_length} characters.",
    ),
    "string_pattern_mismatch": ("Biçimi geçersiz.", "Has an invalid format."),
    "int_type": ("Tam sayı olmalıdır.", "Must be an integer."),
    "int_parsing": ("Tam sayı olmalıdır.", "Must be an integer."),
    "int_from_float": ("Tam sayı olmalıdır.", "Must be an integer."),
    "bool_type": ("true veya false olmalıdır.", "Must be true or false."),
    "bool_parsing": ("true veya false olmalıdır.", "Must be true or false."),
    "greater_than_equal": ("En az {ge} olmalıdır.", "Must be at least {ge}."),
    "less_than_equal": ("En fazla {le} olabilir.", "Must be at most {le}."),
    "greater_than": ("{gt} değerinden büyük olmalıdır.", "Must be greater than {gt}."),
    "literal_error": ("Şunlardan biri olmalıdır: {expected}.", "Must be one of: {expected}."),
    "enum": ("Şunlardan biri olmalıdır: {expected}.", "Must be one of: {expected}."),
    "date_from_datetime_parsing": ("Geçerli bir tarih olmalıdır.", "Must be a valid date."),
    "date_parsing": ("Geçerli bir tarih olmalıdır.", "Must be a valid date."),
    "value_error": ("{error}", "{error}"),
    "model_attributes_type": ("Nesne olmalıdır.", "Must be an object."),
    "dict_type": ("Nesne olmalıdır.", "Must be an object."),
    "json_invalid": ("Geçerli bir JSON değil.", "Is not valid JSON."),
    "invalid_status": (
        "Bir sipariş durumu adı veya numarası (1–12) olmalıdır.",
        "Must be an order status name or id (1–12).",
    ),
    "invalid_day": (
        "1900–2999 arasında, YYYY-MM-DD veya DD-MM-YYYY biçiminde bir tarih olmalıdır.",
        "Must be a date between 1900 and 2999 as YYYY-MM-DD or DD-MM-YYYY.",
    ),
    "end_before_start": ("startDate tarihinden önce olamaz.", "Must not be before startDate."),
}
GENERIC_FIELD_MESSAGE = ("Geçersiz değer.", "Invalid value.")


def pick_locale(accept_language: str | None) -> str:
    """`Accept-Language: en-US,en;q=0.9` → en; anything we do not speak falls back to tr."""
    if not accept_language:
        return DEFAULT_LOCALE
    for part in accept_language.split(","):
        tag = part.split(";", 1)[0].strip().lower()[:2]
        if tag in LOCALES:
            return tag
    return DEFAULT_LOCALE


def status_of(key: str) -> int:
    return MESSAGES[key][0]


def message(key: str, locale: str, params: Mapping[str, object] | None = None) -> str:
    text = MESSAGES[key][1 + LOCALES.index(locale)]
    return text.format(**params) if params else text


def field_message(error_type: str, locale: str, context: Mapping[str, object] | None = None) -> str:
    """A field-level message: a validation type (FIELD_MESSAGES) or any catalogue key (MESSAGES)."""
    pair = FIELD_MESSAGES.get(error_type) or MESSAGES.get(error_type, (0, *GENERIC_FIELD_MESSAGE))[1:]
    text = pair[LOCALES.index(locale)]
    try:
        return text.format(**{k: _plain(v) for k, v in (context or {}).items()})
    except (KeyError, IndexError, ValueError):
        return GENERIC_FIELD_MESSAGE[LOCALES.index(locale)]


def _plain(value: object) -> object:
    return str(value) if isinstance(value, Exception) else value
