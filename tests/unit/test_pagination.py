"""Properties of the Laravel paginator (`paginate`) and its links window (`page_window`).

The reference below is Laravel's UrlWindow + LengthAwarePaginator::linkCollection, transcribed from
PHP with onEachSide = 3; the sandbox's implementation must agree with it for every input.
"""

from __future__ import annotations

import itertools
import math
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.core.pagination import NEXT_LABEL, PREVIOUS_LABEL, last_page, page_window, paginate

PATH = "http://sandbox.test/partner/orders"
totals = st.integers(min_value=0, max_value=5_000)
sizes = st.integers(min_value=5, max_value=30)
pages = st.integers(min_value=1, max_value=1_200)


def laravel_elements(current: int, last: int, on_each_side: int = 3) -> list[int | None]:
    """UrlWindow::get() flattened the way linkCollection() renders it (None = "...")."""
    if last < on_each_side * 2 + 8:  # getSmallSlider
        return list(range(1, last + 1))
    window = on_each_side + 4
    start, finish = [1, 2], [last - 1, last]
    if current <= window:  # getSliderTooCloseToBeginning
        first, slider, end = list(range(1, window + on_each_side + 1)), None, finish
    elif current > last - window:  # getSliderTooCloseToEnding
        first, slider, end = start, None, list(range(last - (window + (on_each_side - 1)), last + 1))
    else:  # getFullSlider
        first, slider, end = start, list(range(current - on_each_side, current + on_each_side + 1)), finish
    elements: list[int | None] = [*first]
    if slider is not None:
        elements += [None, *slider]
    return [*elements, None, *end]


def page_of(total: int, per_page: int, page: int) -> dict:
    shown = max(0, min(per_page, total - (page - 1) * per_page))
    return paginate(data=list(range(shown)), total=total, page=page, per_page=per_page, path=PATH)


@given(totals, sizes)
def test_last_page_is_ceiling_and_at_least_one(total: int, per_page: int) -> None:
    assert last_page(total, per_page) == max(math.ceil(total / per_page), 1)


@given(totals, sizes, pages)
def test_paginate_from_and_to_count_the_rows_shown(total: int, per_page: int, page: int) -> None:
    result = page_of(total, per_page, page)

    shown = len(result["data"])
    if shown:
        assert result["from"] == (page - 1) * per_page + 1
        assert result["to"] == min(page * per_page, total)
        assert result["to"] - result["from"] + 1 == shown
    else:
        assert (result["from"], result["to"]) == (None, None)
        assert page > last_page(total, per_page) or total == 0


@given(totals, sizes, pages)
def test_paginate_scalar_fields_match_laravel(total: int, per_page: int, page: int) -> None:
    result = page_of(total, per_page, page)
    last = max(math.ceil(total / per_page), 1)

    assert list(result) == [
        "current_page", "data", "first_page_url", "from", "last_page", "last_page_url", "links",
        "next_page_url", "path", "per_page", "prev_page_url", "to", "total",
    ]  # fmt: skip
    assert (result["current_page"], result["last_page"], result["per_page"], result["total"]) == (
        page, last, per_page, total,
    )  # fmt: skip
    assert result["first_page_url"] == f"{PATH}?page=1"
    assert result["last_page_url"] == f"{PATH}?page={last}"
    assert result["prev_page_url"] == (f"{PATH}?page={page - 1}" if page > 1 else None)
    assert result["next_page_url"] == (f"{PATH}?page={page + 1}" if page < last else None)


@given(totals, sizes, pages)
def test_page_window_matches_laravel_url_window(total: int, per_page: int, page: int) -> None:
    last = last_page(total, per_page)

    assert page_window(page, last) == laravel_elements(page, last)


@given(st.integers(min_value=1, max_value=400), st.integers(min_value=1, max_value=400))
def test_page_window_any_current_and_last_matches_laravel(current: int, last: int) -> None:
    assert page_window(current, last) == laravel_elements(current, last)


@given(totals, sizes, pages)
def test_paginate_links_are_previous_window_next(total: int, per_page: int, page: int) -> None:
    result = page_of(total, per_page, page)
    last = result["last_page"]
    window = laravel_elements(page, last)

    links = result["links"]
    assert len(links) == len(window) + 2
    assert links[0] == {"url": result["prev_page_url"], "label": PREVIOUS_LABEL, "active": False}
    assert links[-1] == {"url": result["next_page_url"], "label": NEXT_LABEL, "active": False}
    for link, number in zip(links[1:-1], window, strict=True):
        if number is None:
            assert link == {"url": None, "label": "...", "active": False}
        else:
            assert link == {"url": f"{PATH}?page={number}", "label": str(number), "active": number == page}


@given(totals, sizes, pages)
def test_paginate_dots_never_touch_each_other_or_the_ends(total: int, per_page: int, page: int) -> None:
    labels = [link["label"] for link in page_of(total, per_page, page)["links"][1:-1]]

    assert labels.count("...") <= 2
    assert labels[0] == "1"
    assert labels[-1] == str(last_page(total, per_page))
    assert all(not (a == b == "...") for a, b in itertools.pairwise(labels))
    numbers = [int(label) for label in labels if label != "..."]
    assert numbers == sorted(set(numbers))


@given(totals, sizes, pages)
def test_paginate_current_page_active_exactly_once_when_in_range(
    total: int, per_page: int, page: int
) -> None:
    result = page_of(total, per_page, page)
    active = [link["label"] for link in result["links"] if link["active"]]

    if page <= result["last_page"]:
        assert active == [str(page)]
    else:
        assert active == []


@given(totals, sizes, pages, st.sampled_from(["Buy", "Sell", "Delivery"]), st.sampled_from(["GAU", "GAG"]))
def test_paginate_keeps_filters_in_every_url_with_page_last(
    total: int, per_page: int, page: int, kind: str, sku: str
) -> None:
    query = [("type", kind), ("sku", sku), ("total", str(per_page))]
    result = paginate(data=[], total=total, page=page, per_page=per_page, path=PATH, query=query)

    urls = [result["first_page_url"], result["last_page_url"], *(link["url"] for link in result["links"])]
    for url in filter(None, urls):
        assert url.startswith(f"{PATH}?")
        params = parse_qsl(urlsplit(url).query)
        assert params[:-1] == query
        assert params[-1][0] == "page"


@pytest.mark.parametrize(("current", "last", "expected"), [
    (1, 1, [1]),
    (1, 13, list(range(1, 14))),
    (1, 14, [*range(1, 11), None, 13, 14]),
    (7, 14, [*range(1, 11), None, 13, 14]),
    (8, 14, [1, 2, None, *range(5, 15)]),
    (10, 20, [1, 2, None, 7, 8, 9, 10, 11, 12, 13, None, 19, 20]),
    (14, 20, [1, 2, None, *range(11, 21)]),
    (25, 20, [1, 2, None, *range(11, 21)]),
])  # fmt: skip
def test_page_window_examples(current: int, last: int, expected: list[int | None]) -> None:
    assert page_window(current, last) == expected


def test_paginate_empty_result_has_one_page_and_null_bounds() -> None:
    result = paginate(data=[], total=0, page=1, per_page=10, path=PATH)

    assert (result["last_page"], result["from"], result["to"]) == (1, None, None)
    assert [link["label"] for link in result["links"]] == [PREVIOUS_LABEL, "1", NEXT_LABEL]
    assert [link["active"] for link in result["links"]] == [False, True, False]
