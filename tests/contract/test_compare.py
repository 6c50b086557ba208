"""The structure comparison itself: what it lets through and what it reports."""

from __future__ import annotations

from decimal import Decimal

from tests.contract.compare import Differences, compare, visible

EXAMPLE = {
    "data": {
        "guid": "896AE1AC-E26F-4291-80B2-BF80DE0A920A",
        "order_code": "ALS8HEVP",
        "total": 188.97,
        "order_at": "06-11-2023 07:18",
        "customer": None,
        "items": [{"sku": "GAU", "amount": 0.1}],
    },
    "success": True,
}


def answer(**changes: object) -> dict:
    return {"data": {**EXAMPLE["data"], **changes}, "success": True}


def test_compare_same_structure_other_values_matches() -> None:
    other = answer(
        guid="2B555C6D-E551-4BD0-8912-B72A77E53723",
        order_code="YID9Z07U",
        total=5,
        order_at="01-01-2026 10:00",
    )
    assert compare(EXAMPLE, other) == []


def test_compare_keys_in_another_order_is_reported() -> None:
    swapped = {"data": dict(reversed(list(EXAMPLE["data"].items()))), "success": True}
    assert compare(EXAMPLE, swapped) == [
        "data: keys ['items', 'customer', 'order_at', 'total', 'order_code', 'guid'] where the example has "
        "['guid', 'order_code', 'total', 'order_at', 'customer', 'items']"
    ]


def test_compare_extra_key_is_reported_unless_declared() -> None:
    extra = answer(description="0.1gr - #GAU")
    assert len(compare(EXAMPLE, extra)) == 1
    assert compare(EXAMPLE, extra, Differences(added={"data.description": "why"})) == []


def test_compare_missing_key_is_reported_unless_declared() -> None:
    fewer = answer()
    del fewer["data"]["customer"]
    assert len(compare(EXAMPLE, fewer)) == 1
    assert compare(EXAMPLE, fewer, Differences(missing={"data.customer": "why"})) == []


def test_compare_other_json_type_is_reported() -> None:
    assert compare(EXAMPLE, answer(total="188.97")) == ["data.total: string where the example has number"]
    assert compare(EXAMPLE, answer(customer={})) == ["data.customer: object where the example has null"]


def test_compare_other_date_format_is_reported() -> None:
    assert compare(EXAMPLE, answer(order_at="2023-11-06 07:18:00")) == [
        "data.order_at: '2023-11-06 07:18:00' is not dd-mm-YYYY HH:MM like the example's '06-11-2023 07:18'"
    ]


def test_compare_lower_case_guid_and_order_code_are_reported() -> None:
    problems = compare(EXAMPLE, answer(guid=EXAMPLE["data"]["guid"].lower(), order_code="als8hevp"))
    assert [problem.split(":")[0] for problem in problems] == ["data.guid", "data.order_code"]


def test_compare_money_with_three_decimals_is_reported() -> None:
    assert compare(EXAMPLE, answer(total=188.971)) == ["data.total: 188.971 has more than 2 decimals (money)"]


def test_compare_array_elements_are_compared_and_counted() -> None:
    assert compare(EXAMPLE, answer(items=[{"amount": 0.1, "sku": "GAU"}])) != []
    assert compare(EXAMPLE, answer(items=[])) == ["data.items: 0 elements where the example has 1"]


def test_visible_parses_a_cut_off_example_and_keeps_its_half_key() -> None:
    shown = visible(
        '{\n"data": {\n"id": 2,\n"items": [\n{\n"sku": "GAU",\n"amount": 1\n}\n],\n"created_at": "x",\n"u'
    )
    assert shown.document == {
        "data": {"id": 2, "items": [{"sku": "GAU", "amount": Decimal(1)}], "created_at": "x"}
    }
    assert (sorted(shown.open_paths), shown.partial_key) == (["", "data"], ("data", "u"))


def test_compare_cut_off_example_accepts_more_keys_after_the_visible_ones() -> None:
    shown = visible('{"data": {"id": 2, "created_at": "2023-03-05 04:51:18", "u')
    full = {"data": {"id": 7, "created_at": "2026-12-04 10:00:00", "updated_at": "x", "extra": 1}}
    assert compare(shown.document, full, open_paths=shown.open_paths, partial_key=shown.partial_key) == []


def test_compare_cut_off_example_reports_a_next_key_that_does_not_continue_the_half_key() -> None:
    shown = visible('{"data": {"id": 2, "created_at": "2023-03-05 04:51:18", "u')
    other = {"data": {"id": 7, "created_at": "2026-12-04 10:00:00", "account_type": "person"}}
    problems = compare(shown.document, other, open_paths=shown.open_paths, partial_key=shown.partial_key)
    assert problems == ["data: the key after ['created_at'] is ['account_type'], the example's starts 'u'"]


def test_compare_cut_off_example_reports_a_visible_key_out_of_order() -> None:
    shown = visible('{"data": {"id": 2, "external_id": "A", "company_id": 1, "u')
    other = {"data": {"id": 7, "company_id": 1, "external_id": "A", "updated_at": "x"}}
    problems = compare(shown.document, other, open_paths=shown.open_paths, partial_key=shown.partial_key)
    assert problems == ["data: keys ['id', 'company_id', 'external_id'] where the example shows "
                        "['id', 'external_id', 'company_id']"]  # fmt: skip
