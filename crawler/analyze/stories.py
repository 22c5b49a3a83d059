"""Story rules: which articles are one story, which stories report one event, and which article
is a story's likely original.

Pure; no settings read. The database side (the index tables and their queries) is
``storage.story_index``; ``crawler.crawl.stories`` looks up what these rules need, applies them
and writes the result.

An article joins a story by, in order: the same normalized text (content hash) as an article
already assigned, when the text has at least ``MIN_EXACT_CHARS`` characters (empty pages would
all match); else the most similar near-duplicate among the assigned articles that share LSH band
keys with it (at most ``MAX_CANDIDATES``, those sharing most bands first), confirmed by their
signatures (``crawler.analyze.dedup.is_duplicate``, whose thresholds are tuned together with the
bands); else it starts a story. Articles of one batch match each other too, in batch order.

A relevant article whose event (name, city, start date) matches an article of another story
links the two stories through an event group: start dates at most ``EVENT_DAYS`` apart, the same
city when both name one, and names that share ``EVENT_NAME_SHARE`` of their characters once year,
edition and punctuation are removed.

Ids survive a rebuild (``kept_story_ids``): each old story, oldest (lowest id) first, hands its
id to the new story holding most of its articles (on a tie, the one holding its lowest article
id) among those that have no id yet, else to the next best that has none. So an unchanged story
keeps its id, a split story keeps it on its largest part, merged stories keep the oldest id
(the others' parts being taken), and only stories that got none of an old story's articles, or
whose old stories' ids all went elsewhere, are numbered anew.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Final, Literal, Protocol, TypeVar

from crawler.analyze.dedup import Signature, band_keys, is_duplicate

MAX_CANDIDATES: Final = 50  # candidates confirmed per article (most shared bands first)
MIN_EXACT_CHARS: Final = 50  # shorter texts never join by exact hash (empty pages would)
EVENT_DAYS: Final = 1  # event start dates this close are one event
EVENT_NAME_SHARE: Final = 0.6  # share of the shorter core name's characters found in the other

How = Literal["exact", "near", "new"]


@dataclass
class StoryCandidate:
    """What assignment needs of a new article: its id, text key, signature and event."""

    article_id: int
    content_hash: str
    text_length: int
    signature: Signature | None
    fetched_at: datetime
    relevant: bool | None = None
    event_name: str | None = None
    event_city: str | None = None
    event_start: date | None = None
    band_keys: list[int] = field(init=False)
    """The signature's LSH band keys (none without a signature), computed once here."""

    def __post_init__(self) -> None:
        self.band_keys = band_keys(self.signature) if self.signature is not None else []

    @property
    def links_events(self) -> bool:
        """Whether the article's story joins other stories of its event: only a relevant
        article with a named, dated event does."""
        return bool(self.relevant and self.event_name and self.event_start)


@dataclass(frozen=True)
class Match:
    """How an article gets its story: the article it joins, or its own id for a new story."""

    how: How
    article_id: int
    similarity: float | None = None


def exact_keys(candidates: Iterable[StoryCandidate]) -> set[str]:
    """The content hashes worth looking up: those of texts long enough to join by exact hash."""
    return {c.content_hash for c in candidates if c.text_length >= MIN_EXACT_CHARS}


class StoryMatcher:
    """Decides the articles of a batch one by one, against the assigned articles that may match
    them (looked up by the caller) and the batch's articles decided before."""

    def __init__(
        self,
        *,
        hashes: Mapping[str, int],
        band_members: Mapping[int, Sequence[int]],
        signatures: Mapping[int, Signature],
    ) -> None:
        """``hashes``: content hash -> the earliest assigned article with it; ``band_members``:
        band key -> articles in the index with it; ``signatures``: of the assigned ones among
        them (an article without one is never a near-duplicate)."""
        self.hashes = dict(hashes)
        self.band_members = {key: list(members) for key, members in band_members.items()}
        self.signatures = dict(signatures)

    def decide(self, candidate: StoryCandidate) -> Match:
        """The article ``candidate`` joins, and remember it for the rest of the batch."""
        if candidate.text_length >= MIN_EXACT_CHARS:
            match = self.hashes.get(candidate.content_hash)
            if match is not None and match != candidate.article_id:
                return Match("exact", match, 1.0)
            self.hashes.setdefault(candidate.content_hash, candidate.article_id)
        found = Match("new", candidate.article_id)
        signature = candidate.signature
        if signature is not None:
            best = self._best_near(candidate, signature)
            if best is not None:
                found = Match("near", best[1], best[0])
            self.signatures[candidate.article_id] = signature
            for key in candidate.band_keys:
                self.band_members.setdefault(key, []).append(candidate.article_id)
        return found

    def _best_near(
        self, candidate: StoryCandidate, signature: Signature
    ) -> tuple[float, int] | None:
        """(similarity, article) of the most similar confirmed near-duplicate, lowest id first
        among equals."""
        shared: dict[int, int] = {}
        for key in candidate.band_keys:
            for member in self.band_members.get(key, ()):
                if member != candidate.article_id:
                    shared[member] = shared.get(member, 0) + 1
        ranked = sorted(shared, key=lambda member: (-shared[member], member))[:MAX_CANDIDATES]
        best: tuple[float, int] | None = None
        for member in ranked:
            other = self.signatures.get(member)
            if other is None:
                continue
            duplicate, similar = is_duplicate(signature, other)
            if duplicate and (best is None or (similar, -member) > (best[0], -best[1])):
                best = (similar, member)
        return best


def event_window(start: date) -> tuple[date, date]:
    """The start dates of events that may be the same as one starting on ``start``."""
    window = timedelta(days=EVENT_DAYS)
    return start - window, start + window


def same_event_story(
    name: str, city: str | None, others: Iterable[tuple[int, str | None, str | None]]
) -> int | None:
    """The story of the first of ``others`` (story id, event name, event city) that reports the
    event ``name`` in ``city``; None when none does."""
    for story_id, other, other_city in others:
        if same_event(name, city, other, other_city):
            return story_id
    return None


def same_event(name: str, city: str | None, other: str | None, other_city: str | None) -> bool:
    """Event names that mostly share their characters, in the same city when both say one."""
    if not other or (city and other_city and city != other_city):
        return False
    core, other_core = _event_core(name), _event_core(other)
    if not core or not other_core:
        return False
    shorter, longer = sorted((core, other_core), key=len)
    shared = sum(1 for char in set(shorter) if char in longer)
    return shared >= EVENT_NAME_SHARE * len(set(shorter))


def _event_core(name: str) -> str:
    """An event name without its year, edition and punctuation (``2021中博会•产城中国市长论坛``
    -> ``中博会产城中国市长论坛``)."""
    name = re.sub(r"(?:19|20)\d{2}年?度?|第[一二三四五六七八九十百零〇\d]+届|首届", "", name)
    return re.sub(r"[\W_]+", "", name)


class StoryMember(Protocol):
    """What ``likely_original`` reads of an article (a stored ``Article`` has it)."""

    @property
    def id(self) -> int | None: ...
    @property
    def flags(self) -> Sequence[str] | None: ...
    @property
    def published_on(self) -> date | None: ...
    @property
    def fetched_at(self) -> datetime: ...


_Member = TypeVar("_Member", bound=StoryMember)


def likely_original(articles: Sequence[_Member]) -> _Member | None:
    """A story's likely original: an article that states no other origin (not a repost),
    earliest published, then earliest fetched."""
    if not articles:
        return None

    def rank(article: _Member) -> tuple[bool, date, datetime, int]:
        repost = "repost" in (article.flags or [])
        published = article.published_on or date.max
        return (repost, published, article.fetched_at, article.id or 0)

    return min(articles, key=rank)


def kept_story_ids(
    old: Mapping[int, Collection[int]], new: Mapping[int, Collection[int]]
) -> dict[int, int]:
    """Which old story id each new story keeps (new id -> old id; new stories missing keep
    none), from the article ids of the stories before (``old``) and after (``new``) a
    reassignment. Each old id is kept at most once, by the rule in the module docstring."""
    story_of = {article: story for story, members in new.items() for article in members}
    kept: dict[int, int] = {}
    for old_id in sorted(old):
        parts: dict[int, tuple[int, int]] = {}  # new story -> (shared articles, lowest shared id)
        for article in old[old_id]:
            story = story_of.get(article)
            if story is not None:
                count, lowest = parts.get(story, (0, article))
                parts[story] = (count + 1, min(lowest, article))
        ranked = sorted(parts, key=lambda story: (-parts[story][0], parts[story][1]))
        free = next((story for story in ranked if story not in kept), None)
        if free is not None:
            kept[free] = old_id
    return kept
