"""The partner's paginator: Laravel's LengthAwarePaginator JSON, links window included.

Laravel renders `links` with `onEachSide = 3`: every page when there are fewer than 14, otherwise the
first pages, `...`, a window around the current page, `...`, the last two (UrlWindow).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

ON_EACH_SIDE = 3
PREVIOUS_LABEL = "&laquo; Previous"
NEXT_LABEL = "Next &raquo;"


def last_page(total: int, per_page: int) -> int:
    return max(math.ceil(total / per_page), 1)


def page_window(current: int, last: int, on_each_side: int = ON_EACH_SIDE) -> list[int | None]:
    """Page numbers to link, None where Laravel prints `...`."""
    if last < on_each_side * 2 + 8:
        return list(range(1, last + 1))
    window = on_each_side + 4
    finish = [last - 1, last]
    if current <= window:
        return [*range(1, window + on_each_side + 1), None, *finish]
    if current > last - window:
        return [1, 2, None, *range(last - (window + (on_each_side - 1)), last + 1)]
    return [1, 2, None, *range(current - on_each_side, current + on_each_side + 1), None, *finish]


def paginate(
    *,
    data: Sequence[Any],
    total: int,
    page: int,
    per_page: int,
    path: str,
    query: Sequence[tuple[str, str]] = (),
) -> dict[str, Any]:
    """The paginator object; `query` holds the other filters, kept in every link (withQueryString)."""
    last = last_page(total, per_page)

    def url(number: int) -> str:
        return f"{path}?{urlencode([*query, ('page', str(number))])}"

    prev_url = url(page - 1) if page > 1 else None
    next_url = url(page + 1) if page < last else None
    links: list[dict[str, Any]] = [{"url": prev_url, "label": PREVIOUS_LABEL, "active": False}]
    for number in page_window(page, last):
        if number is None:
            links.append({"url": None, "label": "...", "active": False})
        else:
            links.append({"url": url(number), "label": str(number), "active": number == page})
    links.append({"url": next_url, "label": NEXT_LABEL, "active": False})
    first_item = (page - 1) * per_page + 1 if data else None
    return {
        "current_page": page,
        "data": list(data),
        "first_page_url": url(1),
        "from": first_item,
        "last_page": last,
        "last_page_url": url(last),
        "links": links,
        "next_page_url": next_url,
        "path": path,
        "per_page": per_page,
        "prev_page_url": prev_url,
        "to": first_item + len(data) - 1 if first_item is not None else None,
        "total": total,
    }
