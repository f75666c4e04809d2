"""The data card: clips and hours per source, label and split, as a table.

Counts are of captured clips (the pipeline's own mirrored copies are not counted again; the card
says how many training windows they add). ``momo data card`` prints it; the model card quotes it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from momo.data.cache import ClipRecord, DataCache
from momo.data.labels import SOURCES
from momo.data.splits import TEST, TRAIN


@dataclass
class Tally:
    """Clips and seconds of one table row, split into train and test."""

    clips: dict[str, int] = field(default_factory=lambda: {TRAIN: 0, TEST: 0})
    seconds: dict[str, float] = field(default_factory=lambda: {TRAIN: 0.0, TEST: 0.0})

    def add(self, record: ClipRecord) -> None:
        """Count one clip."""
        self.clips[record.split] = self.clips.get(record.split, 0) + 1
        self.seconds[record.split] = self.seconds.get(record.split, 0.0) + record.seconds

    @property
    def total_clips(self) -> int:
        """Clips in both splits."""
        return sum(self.clips.values())

    @property
    def total_hours(self) -> float:
        """Hours in both splits."""
        return sum(self.seconds.values()) / 3600.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready counts (hours rounded to 4 digits)."""
        return {
            "clips": dict(self.clips),
            "hours": {k: round(v / 3600.0, 4) for k, v in self.seconds.items()},
        }


@dataclass
class DataCard:
    """Tallies of the captured clips of a cache.

    Attributes:
        total: all clips.
        by_source: per source.
        by_content: per (source, content label).
        by_style: per (source, style label).
        notes: extra lines (dropped clips, build settings).
    """

    total: Tally
    by_source: dict[str, Tally]
    by_content: dict[tuple[str, str], Tally]
    by_style: dict[tuple[str, str], Tally]
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready card."""
        return {
            "total": self.total.to_dict(),
            "by_source": {k: v.to_dict() for k, v in self.by_source.items()},
            "by_content": {f"{s}/{c}": v.to_dict() for (s, c), v in self.by_content.items()},
            "by_style": {f"{s}/{c}": v.to_dict() for (s, c), v in self.by_style.items()},
            "notes": list(self.notes),
        }

    def to_text(self) -> str:
        """Markdown tables: per source, per content label, per style label."""
        lines = ["# Training data", ""]
        lines += _table("source", [(name, t) for name, t in self.by_source.items()], self.total)
        lines += ["", "## Content labels", ""]
        lines += _table(
            "source / content", [(f"{s} / {c}", t) for (s, c), t in self.by_content.items()]
        )
        lines += ["", "## Style labels", ""]
        lines += _table(
            "source / style", [(f"{s} / {c}", t) for (s, c), t in self.by_style.items()]
        )
        if self.notes:
            lines += ["", "## Notes", ""] + [f"- {note}" for note in self.notes]
        return "\n".join(lines) + "\n"


def _table(head: str, rows: list[tuple[str, Tally]], total: Tally | None = None) -> list[str]:
    out = [
        f"| {head} | clips | hours | train clips | train hours | test clips | test hours |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    entries = rows + ([("**all**", total)] if total is not None else [])
    for name, tally in entries:
        out.append(
            f"| {name} | {tally.total_clips} | {tally.total_hours:.3f} | {tally.clips[TRAIN]} | "
            f"{tally.seconds[TRAIN] / 3600:.3f} | {tally.clips[TEST]} | "
            f"{tally.seconds[TEST] / 3600:.3f} |"
        )
    return out


def _source_key(source: str) -> tuple[int, str]:
    return (SOURCES.index(source) if source in SOURCES else len(SOURCES), source)


def build_card(records: Iterable[ClipRecord], notes: Iterable[str] = ()) -> DataCard:
    """Tally captured (non-mirrored) clips per source, label and split."""
    total = Tally()
    by_source: dict[str, Tally] = defaultdict(Tally)
    by_content: dict[tuple[str, str], Tally] = defaultdict(Tally)
    by_style: dict[tuple[str, str], Tally] = defaultdict(Tally)
    for record in records:
        if record.label.mirrored:
            continue
        label = record.label
        for tally in (
            total,
            by_source[label.source],
            by_content[(label.source, label.content)],
            by_style[(label.source, label.style)],
        ):
            tally.add(record)

    def ordered(table: dict[tuple[str, str], Tally]) -> dict[tuple[str, str], Tally]:
        return dict(sorted(table.items(), key=lambda kv: (_source_key(kv[0][0]), kv[0][1])))

    return DataCard(
        total=total,
        by_source=dict(sorted(by_source.items(), key=lambda kv: _source_key(kv[0]))),
        by_content=ordered(by_content),
        by_style=ordered(by_style),
        notes=list(notes),
    )


def cache_card(cache: DataCache) -> DataCard:
    """The data card of a cache, with its build notes (dropped clips, settings, timings)."""
    notes = list(cache.info.get("notes", []))
    mirrored = sum(1 for clip in cache.clips if clip.label.mirrored and clip.split == TRAIN)
    if mirrored:
        notes.append(
            f"{mirrored} mirrored copies of training clips (left/right swapped in motion and "
            "caption) are also trained on; they are not counted above"
        )
    notes.append(f"{len(cache.captions)} distinct captions, text encoder {cache.text_encoder!r}")
    return build_card(cache.clips, notes)
