"""The bundled MTB pair list: the authors' 842 pairs of HumanML3D ids, read by ``pairs="mtb"``."""

from __future__ import annotations

import json
from pathlib import Path

from momo.evaluation.pairs import bundled_mtb_path, load_pairs


def test_bundled_mtb_has_842_pairs_of_six_digit_ids() -> None:
    assert bundled_mtb_path() is not None
    pairs = load_pairs("mtb")
    assert len(pairs) == 842
    assert all(len(i) == 6 and i.isdigit() for pair in pairs for i in pair)
    # MTB reuses each of its 55 followers 15-16 times (what shared-follower batching relies on)
    followers = [follower for _, follower in pairs]
    assert len(set(followers)) == 55
    assert {followers.count(f) for f in set(followers)} == {15, 16}


def test_bundled_mtb_is_the_authors_list(shared_data: Path) -> None:
    authors = json.loads((shared_data / "benchmarks" / "mtb.json").read_text())
    assert load_pairs("mtb") == [tuple(pair) for pair in authors]
