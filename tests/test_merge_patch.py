"""JSON merge patch (RFC 7396), the pure function behind PATCH."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modeldeck.models.merge_patch import merge_patch

# RFC 7396 Appendix A, every row: original, patch, result.
RFC_7396_APPENDIX_A = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]

# RFC 7396 section 3: the worked example.
RFC_7396_SECTION_3 = (
    {
        "title": "Goodbye!",
        "author": {"givenName": "John", "familyName": "Doe"},
        "tags": ["example", "sample"],
        "content": "This will be unchanged",
    },
    {
        "title": "Hello!",
        "phoneNumber": "+01-123-456-7890",
        "author": {"familyName": None},
        "tags": ["example"],
    },
    {
        "title": "Hello!",
        "author": {"givenName": "John"},
        "tags": ["example"],
        "content": "This will be unchanged",
        "phoneNumber": "+01-123-456-7890",
    },
)


@pytest.mark.parametrize(
    ("original", "patch", "result"), [*RFC_7396_APPENDIX_A, RFC_7396_SECTION_3]
)
def test_the_examples_of_rfc_7396_hold(original: Any, patch: Any, result: Any) -> None:
    assert merge_patch(original, patch) == result


scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=5)
keys = st.sampled_from(["a", "b", "c", "d"]) | st.text(max_size=3)
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=20,
)
objects = st.dictionaries(keys, documents, max_size=5)


def null_members(document: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Paths of object members whose value is null (a list is a value: not looked into)."""
    if isinstance(document, dict):
        for key, value in document.items():
            if value is None:
                yield (*path, key)
            else:
                yield from null_members(value, (*path, key))


@given(objects)
def test_an_empty_patch_leaves_an_object_as_it_was(target: dict[str, Any]) -> None:
    assert merge_patch(target, {}) == target


@given(documents, documents)
def test_applying_a_patch_twice_equals_applying_it_once(target: Any, patch: Any) -> None:
    once = merge_patch(target, patch)
    assert merge_patch(once, patch) == once


@given(documents, documents.filter(lambda patch: not isinstance(patch, dict)))
def test_a_patch_that_is_not_an_object_replaces_the_target(target: Any, patch: Any) -> None:
    assert merge_patch(target, patch) == patch


@given(documents, documents)
def test_merge_patch_never_changes_its_inputs(target: Any, patch: Any) -> None:
    target_before, patch_before = copy.deepcopy(target), copy.deepcopy(patch)
    merge_patch(target, patch)
    assert (target, patch) == (target_before, patch_before)


@given(documents, objects)
def test_a_patch_never_adds_a_null_member(target: Any, patch: dict[str, Any]) -> None:
    result = merge_patch(target, patch)
    assert set(null_members(result)) <= set(null_members(target))
