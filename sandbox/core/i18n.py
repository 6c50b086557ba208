"""Every message the sandbox sends, in the partner's two languages (`Accept-Language`: tr default, en)."""

from __future__ import annotations

from collections.abc import Mapping

LOCALES = ("tr", "en")
DEFAULT_LOCALE = "tr"

# The error catalogue: key -> (HTTP status, tr, en). Keys are the stable `data.error` values; docs/errors.md
# publishes this table, rendered from this dict when the manual is built.
MESSAGES: dict[str, tuple[int, str, str]] = {
    # Digest authentication (docs/design/digest.md §7)
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
    "conflicting_header": (
        422,
        "{header} başlığı birbirinden farklı değerlerle gönderildi.",
        "The {header} header was sent with different values.",
    ),
    # Request shape
    "validation_failed": (
        422,
        "Parametre hatası: gönderilen veri geçersiz.",
        "Parameter error: the given data was invalid.",
    ),
    "text_with_nul": (
        422,
        "Metin değerleri NUL (0x00) karakteri içeremez.",
        "Text values cannot contain the NUL (0x00) character.",
    ),
    "malformed_json": (422, "İstek gövdesi geçerli bir JSON değil.", "The request body is not valid JSON."),
    "body_too_deep": (
        422,
        "İstek gövdesi en fazla {limit} düzey iç içe dizi ya da nesne içerebilir.",
        "The request body may nest arrays and objects at most {limit} levels deep.",
    ),
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
    "store_busy": (
        503,
        "Sandbox veritabanı şu anda meşgul; biraz sonra tekrar deneyin.",
        "The sandbox store is busy; retry shortly.",
    ),
    # The store failing (sandbox/store/errors.py): a SQLite file deleted or replaced, a disk full or
    # failing, a PostgreSQL server that cannot be reached or is out of resources
    "store_unavailable": (
        503,
        "Sandbox veritabanı kullanılamıyor (dosyası ya da sunucusu yok, dolu ya da arızalı); bu istek "
        "uygulanmadı. Nedeni sunucu kaydındadır.",
        "The sandbox store is unavailable (its database file or server is gone, full or failing); this "
        "request was not applied. The server log says why.",
    ),
    "internal_error": (500, "Beklenmeyen bir hata oluştu.", "An unexpected error occurred."),
    # Orders
    "order_not_found": (404, "Sipariş bulunamadı.", "Order not found."),
    "order_identifier_required": (
        422,
        "guid, order_code veya external_id alanlarından en az biri gereklidir.",
        "At least one of guid, order_code or external_id is required.",
    ),
    # Prices and trading
    "price_token_invalid": (
        403,
        "Fiyat anahtarı bulunamadı veya bu iş ortağına ait değil.",
        "The price token is unknown or belongs to another partner.",
    ),
    "price_token_expired": (
        403,
        "Fiyat anahtarının süresi doldu; yeni bir fiyat sabitleyin.",
        "The price token has expired; fix a new price.",
    ),
    "price_token_used": (
        403,
        "Bu fiyat anahtarı zaten bir siparişte kullanıldı.",
        "This price token has already been used for an order.",
    ),
    "price_token_customer_mismatch": (
        403,
        "Fiyat anahtarı başka bir müşteri için sabitlendi.",
        "The price token was fixed for another customer.",
    ),
    "price_token_currency_mismatch": (
        422,
        "currency_code, fiyat anahtarının para birimiyle ({currency}) aynı olmalıdır.",
        "currency_code must match the price token's currency ({currency}).",
    ),
    "duplicate_external_id": (
        409,
        "Bu external_id ile daha önce bir sipariş oluşturuldu.",
        "An order request with this external_id already exists.",
    ),
    "insufficient_balance": (
        422,
        "Yetersiz bakiye ({asset}).",
        "Insufficient balance ({asset}).",
    ),
    "wallet_limit_exceeded": (
        422,
        "Bir cüzdan en fazla {limit} {asset} tutabilir.",
        "A wallet can hold at most {limit} {asset}.",
    ),
    "new_customer_invalid": (
        422,
        "Parametre hatası (yeni müşteri): müşteri bilgileri geçersiz.",
        "Parameter error (new customer): the customer details are invalid.",
    ),
    "customer_not_found": (404, "Müşteri bulunamadı.", "Customer not found."),
    "kyc_required": (
        403,
        "Bu işlem için müşterinin KYC durumu onaylı olmalıdır.",
        "The customer's KYC must be approved for this operation.",
    ),
    "kyc_rejected": (
        403,
        "Müşterinin KYC başvurusu reddedildi; bu işlem yapılamaz.",
        "The customer's KYC was rejected; this operation is not allowed.",
    ),
    # Customers and KYC
    "customer_exists": (
        409,
        "Bu external_id ile bir müşteri zaten var.",
        "A customer with this external_id already exists.",
    ),
    "customer_id_mismatch": (
        422,
        "Gövdedeki external_id adresteki müşteri kimliğiyle aynı olmalıdır.",
        "The body's external_id must equal the customer id in the path.",
    ),
    "account_type_immutable": (
        422,
        "Müşterinin hesap türü değiştirilemez.",
        "A customer's account_type cannot be changed.",
    ),
    "customer_has_assets": (
        422,
        "Müşterinin cüzdanlarında bakiye varken silinemez.",
        "The customer cannot be removed while a wallet holds cash or metal.",
    ),
    "customer_has_open_orders": (
        422,
        "Müşterinin açık siparişleri varken silinemez.",
        "The customer cannot be removed while it has open orders.",
    ),
    "kyc_identity_mismatch": (
        422,
        "KYC kimlik numarası müşterinin kimlik numarasıyla eşleşmiyor.",
        "The KYC identity number does not match the customer's.",
    ),
    # Lifecycle (sandbox control)
    "transition_not_allowed": (
        409,
        "{current} durumundan {target} durumuna geçilemez; izin verilenler: {allowed}.",
        "An order cannot move from {current} to {target}; allowed next: {allowed}.",
    ),
    "order_is_final": (
        409,
        "Sipariş {current} durumunda ve bu son durumdur.",
        "The order is {current}, a final status.",
    ),
    # Card payments, card storage, delivery, legal
    "card_token_not_found": (
        404,
        "Kayıtlı kart bulunamadı.",
        "Stored card not found.",
    ),
    "payment_not_found": (404, "Ödeme bulunamadı.", "Payment not found."),
    "payment_already_processed": (
        409,
        "Bu ödeme zaten sonuçlandı ({state}).",
        "This payment has already been processed ({state}).",
    ),
    "legal_type_unknown": (
        422,
        "Bilinmeyen yasal metin türü; geçerli türler: {types}.",
        "Unknown legal document type; valid types: {types}.",
    ),
    # Sandbox controls
    "fault_injected": (
        500,
        "Sandbox hata kuralı bu isteği yanıtladı.",
        "A sandbox fault rule answered this request.",
    ),
    "rate_limited": (
        429,
        "Çok fazla istek; biraz sonra tekrar deneyin.",
        "Too many requests; retry shortly.",
    ),
    "service_unavailable": (
        503,
        "Hizmet geçici olarak kullanılamıyor.",
        "The service is temporarily unavailable.",
    ),
    "gateway_timeout": (504, "İstek zaman aşımına uğradı.", "The request timed out."),
    "control_token_required": (
        401,
        "Sandbox kontrol API'si için Bearer anahtarı gereklidir.",
        "The sandbox control API needs a Bearer token.",
    ),
    "control_token_invalid": (
        403,
        "Sandbox kontrol anahtarı geçersiz.",
        "The sandbox control token is invalid.",
    ),
    "cors_preflight_refused": (
        403,
        "Bu tarayıcı isteğine CORS izni yok ({failures}); SANDBOX_CORS_ORIGINS ayarına bakın.",
        "CORS preflight refused ({failures}); allow the origin with SANDBOX_CORS_ORIGINS.",
    ),
    # Browsers: cross-site control calls and DNS rebinding (sandbox/control/protection.py)
    "foreign_origin": (
        403,
        "Başka bir sitenin sayfasından gelen sandbox kontrol çağrısı reddedildi ({origin}); sandbox'ın "
        "kendi sayfalarından, bir betikten ya da SANDBOX_CORS_ORIGINS içindeki bir kaynaktan çağırın.",
        "A sandbox control call from another site's page is refused ({origin}); call it from the "
        "sandbox's own pages, a script, or an origin listed in SANDBOX_CORS_ORIGINS.",
    ),
    "control_json_required": (
        415,
        "Sandbox kontrol çağrıları JSON gönderir: Content-Type: application/json (gövdesiz bir çağrı "
        "Content-Type göndermeyebilir).",
        "Sandbox control calls send JSON: Content-Type: application/json (a call without a body may "
        "send no Content-Type).",
    ),
    "host_not_allowed": (
        421,
        "Sandbox {host} adına yanıt vermez; bu adı SANDBOX_ALLOWED_HOSTS ayarına ekleyin.",
        "The sandbox does not answer to the host {host}; add that name to SANDBOX_ALLOWED_HOSTS.",
    ),
    "scenario_unknown": (
        422,
        "Bilinmeyen senaryo; geçerli senaryolar: {scenarios}.",
        "Unknown scenario; valid scenarios: {scenarios}.",
    ),
    "fault_rule_not_found": (404, "Hata kuralı bulunamadı.", "Fault rule not found."),
    "tenant_not_found": (
        404,
        "{tenant} adlı bir kiracı yok (X-Sandbox-Tenant); GET /_sandbox/tenants listeler.",
        "There is no tenant {tenant} (X-Sandbox-Tenant); GET /_sandbox/tenants lists them.",
    ),
    "tenant_exists": (409, "{tenant} adlı kiracı zaten var.", "A tenant named {tenant} exists already."),
    "webhook_delivery_not_found": (404, "Webhook teslimatı bulunamadı.", "Webhook delivery not found."),
    "partner_not_found": (404, "İş ortağı bulunamadı.", "Partner not found."),
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
    "finite_number": ("Sonlu bir sayı olmalıdır.", "Must be a finite number."),
    "decimal_type": ("Sayı olmalıdır.", "Must be a number."),
    "decimal_parsing": ("Sayı olmalıdır.", "Must be a number."),
    "float_type": ("Sayı olmalıdır.", "Must be a number."),
    "float_parsing": ("Sayı olmalıdır.", "Must be a number."),
    "decimal_max_places": (
        "En fazla {decimal_places} ondalık basamak olabilir.",
        "Must have at most {decimal_places} decimal places.",
    ),
    "decimal_max_digits": (
        "En fazla {max_digits} basamak olabilir.",
        "Must have at most {max_digits} digits.",
    ),
    "less_than": ("{lt} değerinden küçük olmalıdır.", "Must be less than {lt}."),
    "list_type": ("Liste olmalıdır.", "Must be a list."),
    "too_short": ("En az {min_length} öğe olmalıdır.", "Must have at least {min_length} items."),
    "too_long": ("En fazla {max_length} öğe olabilir.", "Must have at most {max_length} items."),
    "unknown_product": (
        "Bilinmeyen ürün; sku şunlardan biri olmalıdır: {skus}.",
        "Unknown product; sku must be one of {skus}.",
    ),
    "product_mismatch": (
        "sku ve product_id farklı ürünleri gösteriyor.",
        "sku and product_id name different products.",
    ),
    "amount_or_topup": (
        "amount veya topup.price alanlarından yalnızca biri gereklidir.",
        "Exactly one of amount or topup.price is required.",
    ),
    "product_required": ("sku veya product_id gereklidir.", "sku or product_id is required."),
    "amount_or_total": (
        "amount veya total alanlarından yalnızca biri gereklidir.",
        "Exactly one of amount or total is required.",
    ),
    "amount_too_small": (
        "Bu tutar 0,0001 gramdan az alır.",
        "This total buys less than 0.0001 grams.",
    ),
    "duplicate_parameter": (
        "Bu parametre yalnızca bir kez gönderilebilir.",
        "This parameter may be sent only once.",
    ),
    "total_too_small": (
        "Bu miktarın tutarı 0,01 {currency} altında kalıyor.",
        "This amount comes to less than 0.01 {currency}.",
    ),
    "invalid_email": ("Geçerli bir e-posta adresi olmalıdır.", "Must be a valid email address."),
    "invalid_phone": ("Geçerli bir telefon numarası olmalıdır.", "Must be a valid phone number."),
    "invalid_identity_number": (
        "Geçerli bir T.C. kimlik numarası olmalıdır (11 hane, sağlama toplamı).",
        "Must be a valid Turkish identity number (11 digits with checksum).",
    ),
    "invalid_tax_number": ("10 haneli bir vergi numarası olmalıdır.", "Must be a 10-digit tax number."),
    "not_zero": ("Sıfırdan farklı olmalıdır.", "Must not be zero."),
    "invalid_card_number": ("Geçerli bir kart numarası olmalıdır.", "Must be a valid card number."),
    "card_expired": ("Kartın son kullanma tarihi geçmiş.", "The card has expired."),
    "invalid_expiry": ("AA/YY biçiminde olmalıdır.", "Must be MM/YY."),
    "invalid_cvv": ("3 veya 4 haneli olmalıdır.", "Must be 3 or 4 digits."),
    "card_or_token": (
        "card_token veya kart bilgileri (card_holder, card_number, card_expiry) gereklidir.",
        "Either card_token or the card (card_holder, card_number, card_expiry) is required.",
    ),
    "card_single_item": (
        "Kartla ödemede istek başına tek ürün olabilir.",
        "A card payment pays for one item per request.",
    ),
    "payment_required": ("Kartla ödeme için payment alanı gereklidir.", "A card payment needs `payment`."),
    "installment_not_available": (
        "Bu kart için taksit seçenekleri: {installments}.",
        "Installments available for this card: {installments}.",
    ),
    "invalid_bin": ("6–8 haneli bir BIN olmalıdır.", "Must be a 6–8 digit BIN."),
    "not_deliverable": (
        "Fiziki teslimat yalnızca şu ürünler için: {skus}.",
        "Physical delivery is available for: {skus}.",
    ),
    "whole_grams": ("Tam gram olmalıdır.", "Must be whole grams."),
    "delivery_limit": ("En fazla {limit} gram teslim edilebilir.", "At most {limit} grams can be delivered."),
    "invalid_city": ("Türkiye'deki bir il olmalıdır.", "Must be a province of Türkiye."),
    "invalid_county": ("{city} iline ait bir ilçe olmalıdır.", "Must be a district of {city}."),
    "invalid_zipcode": ("5 haneli bir posta kodu olmalıdır.", "Must be a 5-digit postal code."),
    "corporate_field_required": ("Kurumsal fatura için zorunludur.", "Required for a Corporate invoice."),
    "union_tag_invalid": ("Şunlardan biri olmalıdır: {expected_tags}.", "Must be one of: {expected_tags}."),
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
    _, *texts = MESSAGES[key]
    text = texts[LOCALES.index(locale)]
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
