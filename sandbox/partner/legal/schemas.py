"""Partner Legal wire models (sandbox decision, docs/design/contract.md §2 row 32: the docs name the
endpoint only)."""

from __future__ import annotations

from pydantic import Field

from sandbox.wire.base import WireModel

# The documents a partner shows its customers: KVKK aydınlatma metni (privacy notice), the user
# agreement, the ön bilgilendirme formu (pre-information form) and the mesafeli satış sözleşmesi
# (distance sales contract), each in tr and en under fixtures/legal/<type>.<lang>.md.
LEGAL_TYPES = ("kvkk", "user-agreement", "pre-information", "distance-sales")


class LegalRequest(WireModel):
    # A plain string, not an enum: an unknown type answers `legal_type_unknown` listing the valid ones.
    type: str = Field(max_length=64, description=f"One of: {', '.join(LEGAL_TYPES)}", examples=["kvkk"])


class LegalDocument(WireModel):
    type: str
    title: str
    version: str = Field(examples=["2024.06"])
    content: str = Field(description="Markdown, in the request's language (Accept-Language: tr or en)")
    url: str = Field(description="Where the published document lives")
