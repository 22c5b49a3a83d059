"""Near-duplicate detection: MinHash signatures of normalized Chinese text and their LSH bands.

Pure; no settings read: the parameters are the constants below (after changing them,
``forumwatch stories --rebuild`` signs and assigns every article again). A text is cut into
character shingles (``SHINGLE`` characters, whitespace and punctuation removed, so a repost with
other line breaks or spacing shingles the same), hashed with ``zlib.crc32`` and summarized by a
MinHash of ``NUM_PERM`` permutations (datasketch's affine scheme, computed with numpy). The
signature is split into ``BANDS`` bands of ``ROWS`` values; each band becomes one signed 64-bit
key, stored in the database (``storage.story_index``), so articles sharing a band key are
candidates, shared by every crawler process and surviving restarts. Candidates are confirmed by
the Jaccard similarity their signatures estimate (``JACCARD_THRESHOLD``); the story rules
(``crawler.analyze.stories``) apply that confirmation.

With 20 bands of 3 rows, two texts with Jaccard 0.4 become candidates with probability 0.73,
0.5 -> 0.93, 0.6 -> 0.99; unrelated texts (0.1) with probability 0.02, and are then rejected by
their signatures. A repost that keeps only part of the text has a low Jaccard but a high
containment (the share of the shorter text found in the longer), which the shingle counts stored
beside the signatures let us estimate: ``is_duplicate`` accepts either. The thresholds stay here,
beside the bands they are tuned with.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

NUM_PERM = 60
BANDS = 20
ROWS = NUM_PERM // BANDS
SHINGLE = 4
JACCARD_THRESHOLD = 0.45
CONTAINMENT_THRESHOLD = 0.8  # ... or most of the shorter text is in the longer one
MIN_CONTAINED = 60  # shingles the shorter text needs for containment to count
MIN_SHINGLES = 20  # texts shorter than this are matched by exact hash only
SEED = 1
_DROP = re.compile(r"[\s\W_]+")


def shingles(text: str, size: int = SHINGLE) -> list[bytes]:
    """Character shingles of a text, spacing and punctuation removed."""
    compact = _DROP.sub("", text)
    return [compact[i : i + size].encode("utf-8") for i in range(len(compact) - size + 1)]


@lru_cache(maxsize=1)
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """datasketch's affine 32-bit permutations ``h -> a*h + b mod 2^32`` (odd ``a``), drawn
    from the same seeded generator, so signatures equal ``datasketch.MinHash(NUM_PERM, SEED,
    hashfunc=zlib.crc32)``'s (``tests/test_dedup.py`` checks it). Computed here with numpy
    alone: importing datasketch pulls in scipy, ~55 MB in every crawler process."""
    generator = np.random.RandomState(SEED)
    a = generator.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = generator.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return a[:, None], b[:, None]


@dataclass(frozen=True)
class Signature:
    """A text's MinHash values and how many distinct shingles it has."""

    values: np.ndarray
    shingles: int

    def to_bytes(self) -> bytes:
        return self.values.astype("<u4").tobytes()

    @classmethod
    def from_bytes(cls, blob: bytes, shingles: int) -> Signature:
        return cls(np.frombuffer(blob, dtype="<u4"), shingles)


def _fmix32(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer, which datasketch applies before the permutations."""
    values = values ^ (values >> np.uint32(16))
    values = values * np.uint32(0x85EBCA6B)
    values = values ^ (values >> np.uint32(13))
    values = values * np.uint32(0xC2B2AE35)
    return values ^ (values >> np.uint32(16))


def signature(text: str) -> Signature | None:
    """The MinHash signature of a text; None when it is too short to compare."""
    grams = set(shingles(text))
    if len(grams) < MIN_SHINGLES:
        return None
    hashes = np.fromiter((zlib.crc32(gram) for gram in grams), dtype=np.uint32, count=len(grams))
    a, b = _permutations()
    with np.errstate(over="ignore"):
        permuted = a * _fmix32(hashes)[None, :] + b  # uint32 arithmetic wraps: mod 2^32
    return Signature(permuted.min(axis=1), len(grams))


_MIX = np.uint64(0x9E3779B97F4A7C15)  # 64-bit golden-ratio multiplier (splitmix64)
_MIX_2 = np.uint64(0xBF58476D1CE4E5B9)
_BAND_SALT = (np.arange(1, BANDS + 1, dtype=np.uint64) * _MIX)[None, :]


def band_keys(sig: Signature) -> list[int]:
    """One signed 64-bit key per band (band number and its values mixed together)."""
    return [int(key) for key in band_key_matrix(sig.values[None, :])[0]]


def band_key_matrix(values: np.ndarray) -> np.ndarray:
    """Band keys of many signatures at once: (n, NUM_PERM) uint32 -> (n, BANDS) int64.

    A splitmix64-style mix of the band number and its ``ROWS`` values; vectorized, so building
    or checking an index of a million signatures takes seconds.
    """
    rows = values.astype(np.uint64).reshape(len(values), BANDS, ROWS)
    with np.errstate(over="ignore"):
        key = np.broadcast_to(_BAND_SALT, (len(values), BANDS)).copy()
        for row in range(ROWS):
            key ^= rows[:, :, row]
            key *= _MIX_2
            key ^= key >> np.uint64(31)
            key *= _MIX
            key ^= key >> np.uint64(29)
    return key.view(np.int64)


def jaccard(first: Signature, second: Signature) -> float:
    """Jaccard similarity of two texts' shingle sets, estimated by their signatures."""
    return float(np.count_nonzero(first.values == second.values)) / len(first.values)


def containment(first: Signature, second: Signature, estimated_jaccard: float) -> float:
    """Share of the smaller shingle set inside the larger: |A∩B| / min(|A|, |B|)."""
    overlap = estimated_jaccard * (first.shingles + second.shingles) / (1 + estimated_jaccard)
    return min(1.0, overlap / min(first.shingles, second.shingles))


def is_duplicate(first: Signature, second: Signature) -> tuple[bool, float]:
    """Whether two texts are one article (a repost with edits), and their Jaccard estimate."""
    similar = jaccard(first, second)
    if similar >= JACCARD_THRESHOLD:
        return True, similar
    smaller = min(first.shingles, second.shingles)
    contained = containment(first, second, similar)
    return smaller >= MIN_CONTAINED and contained >= CONTAINMENT_THRESHOLD, similar
