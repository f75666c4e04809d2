"""The data card tallies captured clips (not mirrors) per source, label and split."""

from __future__ import annotations

from momo.data.cache import ClipRecord
from momo.data.card import build_card
from momo.data.labels import ClipLabel, mirrored


def _record(
    name: str, content: str, style: str, split: str, seconds: float, source: str = "bandai-namco-2"
) -> ClipRecord:
    label = ClipLabel(source, name, content, style, name, name)
    return ClipRecord(label, split, (0,), int(seconds * 20) - 1, seconds)


def test_card_counts() -> None:
    records = [
        _record("a", "walk", "normal", "train", 3600.0),
        _record("b", "walk", "elderly", "test", 1800.0),
        _record("c", "wave-left-hand", "normal", "train", 720.0),
        _record("d", "jump", "normal", "train", 36.0, source="deepmimic"),
    ]
    mirror = records[2]
    records.append(ClipRecord(mirrored(mirror.label), "train", (0,), mirror.frames, mirror.seconds))
    card = build_card(records, notes=["built for a test"])
    assert card.total.total_clips == 4
    assert abs(card.total.total_hours - 1.71) < 1e-9
    assert card.by_source["bandai-namco-2"].clips == {"train": 2, "test": 1}
    assert card.by_content[("bandai-namco-2", "walk")].seconds == {"train": 3600.0, "test": 1800.0}
    assert ("bandai-namco-2", "wave-right-hand") not in card.by_content
    assert list(card.by_source) == ["bandai-namco-2", "deepmimic"]
    text = card.to_text()
    assert "| bandai-namco-2 / walk | 2 | 1.500 | 1 | 1.000 | 1 | 0.500 |" in text
    assert "built for a test" in text
    assert card.to_dict()["by_style"]["bandai-namco-2/elderly"]["clips"] == {"train": 0, "test": 1}
