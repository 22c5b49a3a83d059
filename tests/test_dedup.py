"""crawler.analyze.dedup: signatures equal datasketch's, and the duplicate decision on real edits."""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
from datasketch import MinHash

from crawler.analyze.dedup import (
    BANDS,
    NUM_PERM,
    SEED,
    band_key_matrix,
    band_keys,
    is_duplicate,
    shingles,
    signature,
)
from crawler.analyze.normalize import normalize_text

SEEDS = Path(__file__).resolve().parent / "sites" / "seeds"  # copies of ../shared/seeds


def seed(name: str) -> str:
    return normalize_text(next(SEEDS.glob(f"{name}_*.txt")).read_text(encoding="utf-8")).text


def test_signature_equals_datasketch_minhash() -> None:
    text = seed("003")
    ours = signature(text)
    assert ours is not None
    reference = MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=zlib.crc32)
    reference.update_batch(list(set(shingles(text))))
    assert np.array_equal(ours.values, np.asarray(reference.hashvalues, dtype=np.uint32))
    assert abs(reference.jaccard(reference) - 1.0) < 1e-9


def test_shingles_ignore_spacing_and_punctuation() -> None:
    assert shingles("城市 更新，论坛") == shingles("城市更新论坛")
    assert signature("太短") is None


def test_band_keys_are_per_band_and_vectorized_alike() -> None:
    first = signature(seed("001"))
    second = signature(seed("002"))
    assert first is not None and second is not None
    keys = band_keys(first)
    assert len(keys) == len(set(keys)) == BANDS
    matrix = band_key_matrix(np.stack([first.values, second.values]))
    assert list(matrix[0]) == keys and list(matrix[1]) == band_keys(second)


def test_reposts_are_duplicates_and_other_articles_are_not() -> None:
    text = seed("004")
    lines = text.split("\n")
    first = signature(text)
    assert first is not None
    for edited in (
        "\n".join(["记者 张三", *lines, "转自:人民资讯"]),
        "\n".join(lines[: len(lines) // 2]),  # only the first half reposted
        "\n".join(line.replace("，", ",") for line in lines[1:]),
    ):
        other = signature(edited)
        assert other is not None and is_duplicate(first, other)[0]
    for name in ("000", "001", "002", "003"):
        unrelated = signature(seed(name))
        assert unrelated is not None and not is_duplicate(first, unrelated)[0]
