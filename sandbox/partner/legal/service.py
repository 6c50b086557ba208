"""Partner Legal: the partner's legal texts in the request's language, read from fixtures/legal.

sandbox decision (docs/design/contract.md §2 row 32): `{type}` → `{type, title, version, content, url}`.
Each text is
`<type>.<lang>.md` with a small front matter (`title`, `version`, `url`) between `---` lines; the
bodies are sandbox sample text, not legal advice.
"""

from __future__ import annotations

from pathlib import Path

from sandbox.core.errors import SandboxError
from sandbox.partner.legal.schemas import LEGAL_TYPES

FRONT_MATTER_KEYS = ("title", "version", "url")
_FENCE = "---"


def legal_document(legal_dir: Path, doc_type: str, locale: str) -> dict[str, str]:
    """The document of this type in this language; 422 `legal_type_unknown` naming the valid types."""
    if doc_type not in LEGAL_TYPES:
        params = {"types": ", ".join(LEGAL_TYPES)}
        raise SandboxError(
            "legal_type_unknown", params=params, errors={"type": [("legal_type_unknown", params)]}
        )
    meta, content = parse(legal_dir / f"{doc_type}.{locale}.md")
    return {
        "type": doc_type,
        "title": meta["title"],
        "version": meta["version"],
        "content": content,
        "url": meta["url"],
    }


def parse(path: Path) -> tuple[dict[str, str], str]:
    """(front matter, body) of one fixture; a fixture without title, version and url is a broken install."""
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines or lines[0].strip() != _FENCE or _FENCE not in (line.strip() for line in lines[1:]):
        raise ValueError(f"{path} has no front matter")
    end = next(i for i, line in enumerate(lines[1:], start=1) if line.strip() == _FENCE)
    meta = {}
    for line in lines[1:end]:
        key, _, value = line.partition(":")
        meta[key.strip()] = value.strip().strip('"')
    missing = [key for key in FRONT_MATTER_KEYS if not meta.get(key)]
    if missing:
        raise ValueError(f"{path} front matter lacks {', '.join(missing)}")
    return meta, "\n".join(lines[end + 1 :]).strip()
