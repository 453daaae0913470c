"""The rules for combining filters (slots, one look, independent beauty and effects) and their persistence."""

from __future__ import annotations

import pytest

from snowcam.filters import FILTERS, FilterInfo, register
from snowcam.filters.debug import NoFilter
from snowcam.filters.selection import Selection


@pytest.fixture
def extra_filters():
    """A head sticker, a two-slot sticker, two looks and an effect, registered for one test."""
    added = [
        FilterInfo("t-crown", "Crown", NoFilter, "face", ("head",)),
        FilterInfo("t-cat", "Cat", NoFilter, "face", ("head", "nose", "cheeks")),
        FilterInfo("t-warm", "Warm", NoFilter, "look"),
        FilterInfo("t-mono", "Mono", NoFilter, "look"),
        FilterInfo("t-hearts", "Hearts", NoFilter, "effect"),
    ]
    for info in added:
        register(info)
    yield
    for info in added:
        del FILTERS[info.name]


def test_a_sticker_in_the_same_slot_replaces_the_first(extra_filters) -> None:
    s = Selection().toggle("glasses-round").toggle("glasses-aviator")
    assert s.names == ("glasses-aviator",)
    s = s.toggle("t-crown")
    assert s.names == ("glasses-aviator", "t-crown"), "stickers in other slots combine"
    s = s.toggle("t-cat")
    assert s.names == ("glasses-aviator", "t-cat"), "the cat's head slot replaces the crown"


def test_choose_keeps_one_face_sticker_and_the_rest(extra_filters) -> None:
    s = Selection().toggle("big-eyes").toggle("t-warm").toggle("t-hearts").toggle("glasses-round")
    s = s.toggle("t-crown").choose("t-cat")
    assert s.names == ("big-eyes", "t-warm", "t-hearts", "t-cat")


def test_one_look_at_a_time_and_beauty_combines(extra_filters) -> None:
    s = Selection().toggle("t-warm").toggle("big-eyes").toggle("t-mono")
    assert s.names == ("big-eyes", "t-mono")
    assert s.toggle("t-mono").names == ("big-eyes",), "toggling an active filter turns it off"


def test_none_clears_everything(extra_filters) -> None:
    s = Selection().toggle("t-warm").toggle("big-eyes").choose("glasses-round")
    assert s.choose("none").names == ()
    assert s.toggle("none").names == ()


def test_strengths_are_kept_per_filter_and_used_to_build() -> None:
    s = Selection().toggle("big-eyes").with_strength("big-eyes", 0.9)
    assert s.strength("big-eyes") == 0.9
    assert s.toggle("big-eyes").strength("big-eyes") == 0.9, "a slider remembers its value while off"
    (eyes,) = s.build()
    assert eyes.name == "big-eyes" and eyes.strength == pytest.approx(0.9)  # type: ignore[attr-defined]
    assert s.with_strength("big-eyes", 7).strength("big-eyes") == 1.0
    assert Selection().strength("big-eyes") == FILTERS["big-eyes"].default_strength


def test_unknown_names_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown filter 'sunglasses'"):
        Selection().toggle("sunglasses")
    with pytest.raises(ValueError, match="unknown filter"):
        Selection(("sunglasses",))


def test_round_trip_and_repair_of_stored_selections(extra_filters) -> None:
    s = (
        Selection()
        .toggle("big-eyes")
        .toggle("t-crown")
        .toggle("glasses-round")
        .with_strength("big-eyes", 0.7)
    )
    assert Selection.from_dict(s.to_dict()) == s
    stored = {
        "names": ["glasses-round", "glasses-aviator", "gone-filter", 3, "none", "t-warm", "t-mono"],
        "strengths": {"big-eyes": 0.25, "gone-filter": 0.5, "t-warm": "x", "glasses-round": True},
    }
    repaired = Selection.from_dict(stored)
    assert repaired.names == ("glasses-aviator", "t-mono")
    assert dict(repaired.strengths) == {"big-eyes": 0.25}
    assert Selection.from_dict("garbage") == Selection()


def test_combining_names_as_the_command_line_does(extra_filters) -> None:
    s, left_out = Selection.combining(
        ["glasses-round", "t-warm", "big-eyes", "glasses-aviator", "t-mono", "none"]
    )
    assert s.names == ("big-eyes", "glasses-aviator", "t-mono")
    assert left_out == ["glasses-round", "t-warm", "none"]
    assert Selection.combining(["big-eyes", "big-eyes"]) == (Selection(("big-eyes",)), [])
