"""crawler.analyze.stories, alone: how articles match, which events are one, the likely original."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from crawler.analyze.dedup import Signature, band_keys, signature
from crawler.analyze.normalize import normalize_text
from crawler.analyze.stories import (
    MAX_CANDIDATES,
    MIN_EXACT_CHARS,
    Match,
    StoryCandidate,
    StoryMatcher,
    event_window,
    exact_keys,
    kept_story_ids,
    likely_original,
    same_event,
    same_event_story,
)

SEEDS = Path(__file__).resolve().parent / "sites" / "seeds"
T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def seed(name: str) -> str:
    return normalize_text(next(SEEDS.glob(f"{name}_*.txt")).read_text(encoding="utf-8")).text


def candidate(article_id: int, text: str, digest: str | None = None) -> StoryCandidate:
    return StoryCandidate(
        article_id=article_id,
        content_hash=digest or f"h{article_id}",
        text_length=len(text),
        signature=signature(text),
        fetched_at=T0,
    )


def signed(text: str) -> Signature:
    found = signature(text)
    assert found is not None
    return found


def test_candidate_carries_its_band_keys_and_links_events_only_when_relevant() -> None:
    text = seed("003")
    article = candidate(1, text)
    assert article.band_keys == band_keys(signed(text))
    assert candidate(2, "短文").band_keys == []
    event = {"event_name": "城市论坛", "event_start": date(2025, 3, 1)}
    assert StoryCandidate(3, "h", 100, None, T0, relevant=True, **event).links_events
    assert not StoryCandidate(4, "h", 100, None, T0, relevant=False, **event).links_events
    assert not StoryCandidate(5, "h", 100, None, T0, relevant=True).links_events


def test_exact_text_joins_only_when_long_enough() -> None:
    long_text, short_text = "论" * MIN_EXACT_CHARS, "论" * (MIN_EXACT_CHARS - 1)
    assert exact_keys([candidate(1, long_text, "L"), candidate(2, short_text, "S")]) == {"L"}
    matcher = StoryMatcher(hashes={"L": 7, "S": 8}, band_members={}, signatures={})
    assert matcher.decide(candidate(1, long_text, "L")) == Match("exact", 7, 1.0)
    assert matcher.decide(candidate(2, short_text, "S")).how == "new"


def test_near_duplicate_needs_a_shared_band_and_a_confirming_signature() -> None:
    text, other = seed("003"), seed("004")
    repost = "记者 张三\n" + text
    stored = signed(text)
    members = {key: [10] for key in band_keys(stored)}
    matcher = StoryMatcher(hashes={}, band_members=members, signatures={10: stored})
    match = matcher.decide(candidate(1, repost))
    assert (match.how, match.article_id) == ("near", 10) and match.similarity is not None
    assert matcher.decide(candidate(2, other)).how == "new"
    # sharing bands is not enough without the stored signature (an article with no story)
    blind = StoryMatcher(hashes={}, band_members=members, signatures={})
    assert blind.decide(candidate(3, repost)).how == "new"


def test_articles_of_one_batch_match_each_other_in_order() -> None:
    text = seed("002")
    matcher = StoryMatcher(hashes={}, band_members={}, signatures={})
    assert matcher.decide(candidate(1, text, "same")).how == "new"
    assert matcher.decide(candidate(2, text, "same")) == Match("exact", 1, 1.0)
    near = matcher.decide(candidate(3, "通讯员 李四\n" + text))
    assert (near.how, near.article_id) == ("near", 1)


def test_only_the_candidates_sharing_most_bands_are_confirmed() -> None:
    text = seed("001")
    stored = signed(text)
    keys = band_keys(stored)
    # many articles share one band; the true duplicate shares one band too but has a higher id
    crowd = list(range(100, 100 + MAX_CANDIDATES))
    members = {keys[0]: [*crowd, 999]}
    signatures = {member: signed(seed("004")) for member in crowd} | {999: stored}
    matcher = StoryMatcher(hashes={}, band_members=members, signatures=signatures)
    assert matcher.decide(candidate(1, text)).how == "new"
    members[keys[1]] = [999]  # sharing a second band ranks it first
    matcher = StoryMatcher(hashes={}, band_members=members, signatures=signatures)
    assert matcher.decide(candidate(2, text)).article_id == 999


def test_same_event_ignores_year_edition_and_punctuation() -> None:
    assert same_event("2021产城中国市长论坛", "太原", "2021中博会•产城中国市长论坛", None)
    assert same_event("第三届城市发展论坛", None, "第四届城市发展论坛", None)
    assert not same_event("城市发展论坛", "太原", "城市发展论坛", "荆门")
    assert not same_event("城市发展论坛", None, "乡村振兴研讨会", None)
    assert not same_event("2021", None, "2021论坛", None)
    assert not same_event("城市发展论坛", None, None, None)
    others = [
        (5, "乡村振兴研讨会", None),
        (6, "2022城市发展论坛", "太原"),
        (7, "城市发展论坛", None),
    ]
    assert same_event_story("城市发展论坛", "太原", others) == 6
    assert same_event_story("数字经济峰会", None, others) is None
    assert event_window(date(2025, 3, 1)) == (date(2025, 2, 28), date(2025, 3, 2))


@dataclass
class Member:
    id: int
    flags: list[str]
    published_on: date | None
    fetched_at: datetime


def test_likely_original_states_no_origin_and_came_first() -> None:
    early = datetime(2025, 1, 1, tzinfo=UTC)
    late = datetime(2025, 1, 2, tzinfo=UTC)
    repost = Member(1, ["repost"], date(2024, 1, 1), early)
    first = Member(2, [], date(2024, 1, 2), late)
    undated = Member(3, [], None, early)
    fetched_first = Member(4, [], date(2024, 1, 2), early)
    assert likely_original([repost, first, undated]) is first
    assert likely_original([repost, first, undated, fetched_first]) is fetched_first
    assert likely_original([repost]) is repost
    assert likely_original([]) is None


def test_unchanged_stories_keep_their_ids_and_new_ones_get_none() -> None:
    old = {3: [1, 2], 7: [3], 9: [4, 5, 6]}
    new = {20: [4, 5, 6], 21: [1, 2], 22: [3], 23: [8]}
    assert kept_story_ids(old, new) == {21: 3, 22: 7, 20: 9}


def test_a_split_story_keeps_its_id_on_its_largest_part() -> None:
    assert kept_story_ids({5: [1, 2, 3, 4]}, {20: [1], 21: [2, 3, 4]}) == {21: 5}
    # equal parts: the part holding the story's lowest article id
    assert kept_story_ids({5: [1, 2, 3, 4]}, {20: [2, 4], 21: [1, 3]}) == {21: 5}
    assert kept_story_ids({5: [6, 2, 9]}, {20: [9], 21: [6], 22: [2]}) == {22: 5}


def test_merged_stories_keep_the_oldest_id_even_when_a_newer_one_was_larger() -> None:
    assert kept_story_ids({4: [1], 9: [2, 3, 5]}, {30: [1, 2, 3, 5]}) == {30: 4}


def test_an_id_whose_best_part_is_taken_goes_to_its_next_best_part() -> None:
    # story 4 takes 30 (its only part); 9's largest part is 30 too, so it keeps 31
    old = {4: [1, 2], 9: [3, 5, 6]}
    new = {30: [1, 2, 3, 5], 31: [6]}
    assert kept_story_ids(old, new) == {30: 4, 31: 9}


def test_each_old_id_is_kept_at_most_once_and_each_new_story_keeps_at_most_one() -> None:
    old = {n: [n * 10 + k for k in range(n % 3 + 1)] for n in range(1, 30)}
    everything = sorted(a for members in old.values() for a in members)
    new = {100 + i: everything[i : i + 4] for i in range(0, len(everything), 4)}
    kept = kept_story_ids(old, new)
    assert len(set(kept.values())) == len(kept)
    assert set(kept) <= set(new) and set(kept.values()) <= set(old)
    for new_id, old_id in kept.items():
        assert set(new[new_id]) & set(old[old_id])
