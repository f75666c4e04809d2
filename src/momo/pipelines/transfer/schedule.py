"""Where and when attention mixes: a set of decoder layers x a set of diffusion timesteps.

Defaults (the reference's ``get_transfer_args``): layers 1..L-1 (all but the first,
0-based) and timesteps round(0.1 T)..T - round(0.1 T), both ends included; for MoMo's model
(12 layers, T = 100) that is layers 1..11 at t = 10..90. Outside the schedule every row runs
plain self-attention.

Spans on the command line (`parse_span`) follow the reference's convention: ``A:B`` with both
ends included, negative numbers counting from the end (``1:-1`` = 1..L-1), an empty end meaning
the last one, and ``none`` meaning the empty set.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from momo.errors import TransferError


def default_layers(num_layers: int) -> tuple[int, ...]:
    """Layers 1..L-1 (0-based)."""
    return tuple(range(1, num_layers))


def default_steps(num_timesteps: int) -> tuple[int, ...]:
    """Timesteps round(0.1 T)..T - round(0.1 T), inclusive (10..90 for T = 100)."""
    margin = round(0.1 * num_timesteps)
    return tuple(range(margin, num_timesteps - margin + 1))


def parse_span(spec: str, count: int, what: str) -> tuple[int, ...]:
    """Parse ``"A:B"`` (inclusive; negatives count from ``count``), ``"A"``, ``"none"`` or ``"all"``.

    Args:
        spec: the text, e.g. ``"1:-1"``, ``"10:90"``, ``"3"``, ``":"``, ``"none"``.
        count: number of items (layers L or timesteps T); valid indices are 0..count-1.
        what: "layers" or "steps", for messages.

    Returns:
        Sorted indices.

    Raises:
        TransferError: malformed text or an index outside 0..count-1.
    """
    text = spec.strip().lower()
    if text in ("none", ""):
        return ()
    if text == "all":
        return tuple(range(count))

    def index(part: str, default: int) -> int:
        if not part.strip():
            return default
        try:
            value = int(part)
        except ValueError:
            raise TransferError(
                f"--{what} {spec!r}: {part!r} is not an integer; use A:B (inclusive), e.g. 1:-1"
            ) from None
        resolved = value + count if value < 0 else value
        if not 0 <= resolved < count:
            raise TransferError(
                f"--{what} {spec!r}: {value} is outside 0..{count - 1} (the model has {count} {what})"
            )
        return resolved

    if ":" in text:
        start_text, _, end_text = text.partition(":")
        start, end = index(start_text, 0), index(end_text, count - 1)
        if end < start:
            raise TransferError(f"--{what} {spec!r}: the end {end} comes before the start {start}")
        return tuple(range(start, end + 1))
    return (index(text, 0),)


def _validated(values: Iterable[int], count: int, what: str) -> tuple[int, ...]:
    try:
        items = sorted({int(v) for v in values})
    except (TypeError, ValueError):
        raise TransferError(f"{what} must be integers, got {values!r}") from None
    bad = [v for v in items if not 0 <= v < count]
    if bad:
        raise TransferError(
            f"{what} {bad} out of range: this model has {count} {what} (0..{count - 1})"
        )
    return tuple(items)


@dataclass(frozen=True)
class TransferSchedule:
    """The decoder layers and the diffusion timesteps in which output rows mix attention.

    Attributes:
        layers: 0-based layer indices, sorted.
        steps: model timesteps (0 = cleanest), sorted.
        num_layers: L of the model (for validation and the record).
        num_timesteps: T of the model.
    """

    layers: tuple[int, ...]
    steps: tuple[int, ...]
    num_layers: int
    num_timesteps: int

    @classmethod
    def resolve(
        cls,
        num_layers: int,
        num_timesteps: int,
        layers: Iterable[int] | None = None,
        steps: Iterable[int] | None = None,
    ) -> TransferSchedule:
        """The schedule with defaults filled in and every index checked.

        Args:
            num_layers: L, the denoiser's number of layers.
            num_timesteps: T, the model's number of diffusion timesteps.
            layers: 0-based layers that mix (None: 1..L-1; empty: none).
            steps: model timesteps that mix (None: round(0.1T)..T-round(0.1T); empty: none).

        Raises:
            TransferError: a layer outside 0..L-1 or a step outside 0..T-1.
        """
        if isinstance(layers, (str, bytes)) or isinstance(steps, (str, bytes)):
            raise TransferError(
                "layers/steps must be sequences of integers (use parse_span for 'A:B' text)"
            )
        resolved_layers = (
            default_layers(num_layers)
            if layers is None
            else _validated(layers, num_layers, "layers")
        )
        resolved_steps = (
            default_steps(num_timesteps)
            if steps is None
            else _validated(steps, num_timesteps, "steps")
        )
        return cls(resolved_layers, resolved_steps, num_layers, num_timesteps)

    def mixes_at(self, timestep: int) -> bool:
        """Whether output rows mix at this model timestep (in at least one layer)."""
        return bool(self.layers) and int(timestep) in self.steps

    def mixing_timesteps(self, timesteps: Iterable[int]) -> list[int]:
        """The sampled ``timesteps`` at which output rows mix, in the given order."""
        return [int(t) for t in timesteps if self.mixes_at(t)]

    def as_dict(self) -> dict[str, list[int] | int]:
        """JSON-ready record."""
        return {
            "layers": list(self.layers),
            "steps": list(self.steps),
            "num_layers": self.num_layers,
            "num_timesteps": self.num_timesteps,
        }
