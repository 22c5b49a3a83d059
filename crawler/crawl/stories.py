"""Story assignment: the story rules (``crawler.analyze.stories``) applied to what the story index
(``storage.story_index``) holds, inside the caller's write transaction.

Here because it needs both: storage imports nothing of the crawler, and the rules import no
database. Each function takes a keyword-only ``session`` and leaves the transaction to the
caller, who stores the articles first (``CrawlStore.store_batch`` does both in one transaction).
A batch costs a handful of queries whatever its size: the exact-hash, band and signature
lookups for all its articles at once, then bulk writes (plus two or three per article that links
an event). Reads no settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session

from crawler.analyze.dedup import Signature, band_keys, signature
from crawler.analyze.stories import (
    How,
    StoryCandidate,
    StoryMatcher,
    event_window,
    exact_keys,
    kept_story_ids,
    same_event_story,
)
from storage import story_index
from storage.models import ArticleUpdate, IndexEntry, NewArticle
from storage.story_index import StoryInput


@dataclass
class Assignment:
    """How an article got its story."""

    article_id: int
    story_id: int
    how: How
    similarity: float | None = None
    event_group: int | None = None


def candidate(article_id: int, article: NewArticle) -> StoryCandidate:
    """What assignment needs of a just-stored article (its signature was computed at
    extraction)."""
    return StoryCandidate(
        article_id=article_id,
        content_hash=article.content_hash,
        text_length=len(article.text),
        signature=_signature(article.signature, article.shingles),
        fetched_at=article.fetched_at,
        relevant=article.relevant,
        event_name=article.event_name,
        event_city=article.event_city,
        event_start=article.event_start,
    )


def assign_stories(*, session: Session, candidates: Sequence[StoryCandidate]) -> list[Assignment]:
    """Give each new (stored, unassigned) article a story and add it to the index; returns how
    each was assigned. Articles of one batch also match each other."""
    if not candidates:
        return []
    story_index.lock_assignment(session=session)
    by_hash = story_index.assigned_by_hash(
        session=session,
        hashes=exact_keys(candidates),
        exclude={c.article_id for c in candidates},
    )
    members = story_index.band_members(
        session=session, band_keys={key for c in candidates for key in c.band_keys}
    )
    stored = story_index.assigned_signatures(
        session=session, article_ids={m for found in members.values() for m in found}
    )
    stories = {article_id: story_id for article_id, story_id in by_hash.values()}
    stories.update((article_id, row[2]) for article_id, row in stored.items())
    matcher = StoryMatcher(
        hashes={digest: article_id for digest, (article_id, _) in by_hash.items()},
        band_members=members,
        signatures={i: Signature.from_bytes(blob, n) for i, (blob, n, _) in stored.items()},
    )
    matches = [matcher.decide(c) for c in candidates]
    new = [c for c, match in zip(candidates, matches, strict=True) if match.how == "new"]
    created = story_index.create_stories(session=session, first_seen=[c.fetched_at for c in new])
    new_stories = {c.article_id: story_id for c, story_id in zip(new, created, strict=True)}
    results: list[Assignment] = []
    for c, match in zip(candidates, matches, strict=True):
        # a match is an assigned article or one decided earlier in this batch
        story_id = new_stories[c.article_id] if match.how == "new" else stories[match.article_id]
        stories[c.article_id] = story_id
        results.append(Assignment(c.article_id, story_id, match.how, match.similarity))
    story_index.set_stories(session=session, stories={r.article_id: r.story_id for r in results})
    story_index.add_to_index(
        session=session, entries=[_entry(c) for c in candidates if c.signature is not None]
    )
    for c, result in zip(candidates, results, strict=True):
        if c.links_events:
            result.event_group = _link_event(session, result.story_id, c)
    return results


def _link_event(session: Session, story_id: int, candidate: StoryCandidate) -> int | None:
    """Link the story to another story of the same event; returns the event group."""
    assert candidate.event_start is not None and candidate.event_name is not None
    others = story_index.event_neighbours(
        session=session, starts=event_window(candidate.event_start), exclude_story=story_id
    )
    other = same_event_story(candidate.event_name, candidate.event_city, others)
    if other is None:
        return None
    return story_index.join_event(session=session, story_id=story_id, other_story=other)


def reindex(*, session: Session, updates: Sequence[ArticleUpdate]) -> int:
    """Make the index hold the new signatures of re-extracted articles; returns how many
    articles' entries changed (only those are rewritten). Their stories stay as they are:
    ``rebuild_stories`` reassigns every article."""
    stored = story_index.indexed_signatures(session=session, article_ids={u.id for u in updates})
    changed = [u for u in updates if stored.get(u.id) != _stored_form(u.signature, u.shingles)]
    if not changed:
        return 0
    story_index.remove_from_index(
        session=session,
        band_keys={
            u.id: band_keys(Signature.from_bytes(*stored[u.id])) for u in changed if u.id in stored
        },
    )
    entries = [_index_entry(u.id, u.signature, u.shingles) for u in changed if u.signature]
    story_index.add_to_index(session=session, entries=entries)
    return len(changed)


def rebuild_stories(*, session: Session, batch_size: int = 500) -> int:
    """Assign every article again, in the order they were fetched (after ``reextract`` changed
    texts, or a change of the dedup parameters), then give the new stories the ids of the old
    ones they continue (``crawler.analyze.stories.kept_story_ids``: an unchanged story keeps
    its id, a split one keeps it on its largest part, merged ones keep the oldest); returns
    how many articles were assigned. Old stories whose id no new story keeps remain, empty and
    unlisted, so their ids never name another story."""
    before = story_index.story_members(session=session)
    story_index.clear_assignments(session=session)
    count = 0
    for rows in story_index.assignment_batches(session=session, batch_size=batch_size):
        assign_stories(session=session, candidates=[_candidate_from_row(row) for row in rows])
        count += len(rows)
    after = story_index.story_members(session=session)
    story_index.renumber_stories(session=session, kept=kept_story_ids(before, after))
    return count


def _candidate_from_row(row: StoryInput) -> StoryCandidate:
    return StoryCandidate(
        article_id=row.article_id,
        content_hash=row.content_hash,
        text_length=len(row.text),
        signature=signature(row.text),
        fetched_at=row.fetched_at,
        relevant=row.relevant,
        event_name=row.event_name,
        event_city=row.event_city,
        event_start=row.event_start,
    )


def _signature(blob: bytes | None, shingles: int) -> Signature | None:
    return Signature.from_bytes(blob, shingles) if blob else None


def _stored_form(blob: bytes | None, shingles: int) -> tuple[bytes, int] | None:
    """An article's index entry as ``indexed_signatures`` reads it (None: not indexed)."""
    return (blob, shingles) if blob else None


def _entry(candidate: StoryCandidate) -> IndexEntry:
    assert candidate.signature is not None
    sig = candidate.signature
    return IndexEntry(candidate.article_id, sig.to_bytes(), sig.shingles, candidate.band_keys)


def _index_entry(article_id: int, blob: bytes, shingles: int) -> IndexEntry:
    return IndexEntry(article_id, blob, shingles, band_keys(Signature.from_bytes(blob, shingles)))
