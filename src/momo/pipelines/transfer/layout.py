"""The rows of one transfer batch: which are the leader, the followers, their copies, the outputs.

MoMo denoises everything in one batch, in the reference's order::

    row 0                      leader
    rows 1 .. F*k              follower 0 copy 0..k-1, follower 1 copy 0..k-1, ...
    rows 1 + F*k .. F*k + F    output 0, output 1, ... (output j pairs with follower j)

`TransferLayout` is the only place that knows this order (and `PairLayout` the order of a
batch of independent (leader, follower) pairs over shared rows, see below). Everything else asks it: to assemble
per-row values from per-role values (`arrange`), to split a batch back into roles (`split`),
and for the index tensors the mixing processor needs (`mixing_indices`).

The "input rows" are the leader and follower rows (what `momo.transfer`'s ``noise`` argument
holds); output rows start from a copy of the leader's initial noise (the pipeline arranges this
with ``arrange(..., outputs=lambda j: leader_latent)``).

`PairLayout` generalises the batch to several leaders: P pairs ``(leader a, follower b)`` over L
distinct leader rows and F distinct followers (k copies each)::

    rows 0 .. L-1              leader 0 .. L-1
    rows L .. L + F*k - 1      follower 0 copy 0..k-1, follower 1 copy 0..k-1, ...
    rows L + F*k ..            output 0 .. P-1 (output p pairs with pair p's leader and follower)

Output p takes its queries from its own leader row and its keys/values from its own follower's
copies; a one-leader `PairLayout` whose pairs are (0, 0), (0, 1), ... has `TransferLayout`'s
rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, Literal, TypeVar

import torch
from torch import Tensor

Role = Literal["leader", "follower", "output"]
T = TypeVar("T")


@dataclass(frozen=True)
class Row:
    """One batch row: its role, which follower it belongs to (None for the leader) and the copy."""

    role: Role
    follower: int | None = None
    copy: int = 0

    @property
    def label(self) -> str:
        """A short name for files and titles: "leader", "follower_1", "follower_1_copy2", "output_1"."""
        if self.role == "leader":
            return "leader"
        name = f"{self.role}_{self.follower}"
        return f"{name}_copy{self.copy}" if self.role == "follower" and self.copy else name


@dataclass(frozen=True)
class MixingIndices:
    """Row indices a mixing processor uses for a batch of ``batch_size`` rows.

    The first ``layout.num_rows`` rows follow the layout; any further rows (unconditional
    guidance copies, see `momo.diffusion.guidance`) run plain attention.

    Attributes:
        batch_size: rows of the batch the processor sees.
        plain: LongTensor ``[P]``: rows that run plain self-attention, ascending.
        leader_in_plain: position of the leader row within ``plain``.
        followers_in_plain: LongTensor ``[F, k]``: positions of each follower's copies in ``plain``.
        follower_rows: LongTensor ``[F, k]``: the follower copies' rows in the batch.
        outputs: LongTensor ``[F]``: the output rows in the batch (output j pairs with follower j).
        outputs_last: True when the output rows are the batch's last rows (no extra rows), so
            the plain rows are the slice ``[:P]``.
        leaders_in_plain: LongTensor ``[F]``: position in ``plain`` of each output's leader
            (`PairLayout`), or None when every output's leader is ``leader_in_plain``.
    """

    batch_size: int
    plain: Tensor
    leader_in_plain: int
    followers_in_plain: Tensor
    follower_rows: Tensor
    outputs: Tensor
    outputs_last: bool
    leaders_in_plain: Tensor | None = None


@dataclass(frozen=True)
class Split(Generic[T]):
    """Per-role values taken from a per-row sequence (see `TransferLayout.split`).

    Attributes:
        leader: the leader row's value.
        followers: ``[F][k]``: each follower's copies.
        outputs: ``[F]``: one per follower.
    """

    leader: T
    followers: list[list[T]]
    outputs: list[T]


@dataclass(frozen=True)
class TransferLayout:
    """Batch layout of a transfer with ``num_followers`` followers, each repeated ``follower_copies`` times.

    Args:
        num_followers: F >= 1.
        follower_copies: k >= 1 rows per follower (their keys/values are concatenated).
    """

    num_followers: int
    follower_copies: int = 1
    _cache: dict[tuple[int, str], MixingIndices] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if self.num_followers < 1:
            raise ValueError(f"a transfer needs at least one follower, got {self.num_followers}")
        if self.follower_copies < 1:
            raise ValueError(f"follower_copies must be >= 1, got {self.follower_copies}")

    # Rows -------------------------------------------------------------------------------------

    @property
    def rows(self) -> tuple[Row, ...]:
        """Every row in batch order."""
        followers = tuple(
            Row("follower", j, c)
            for j in range(self.num_followers)
            for c in range(self.follower_copies)
        )
        outputs = tuple(Row("output", j) for j in range(self.num_followers))
        return (Row("leader"), *followers, *outputs)

    @property
    def num_rows(self) -> int:
        """B = 1 + F * k + F."""
        return 1 + self.num_followers * (self.follower_copies + 1)

    @property
    def num_input_rows(self) -> int:
        """Rows with their own initial latent: the leader and every follower copy (1 + F * k)."""
        return 1 + self.num_followers * self.follower_copies

    @property
    def leader_row(self) -> int:
        """The leader's row (0)."""
        return 0

    def follower_rows(self, follower: int) -> list[int]:
        """Rows of the k copies of follower ``follower``."""
        self._check_follower(follower)
        start = 1 + follower * self.follower_copies
        return list(range(start, start + self.follower_copies))

    def output_row(self, follower: int) -> int:
        """Row of the output paired with follower ``follower``."""
        self._check_follower(follower)
        return self.num_input_rows + follower

    @property
    def output_rows(self) -> list[int]:
        """Rows of all outputs, in follower order."""
        return [self.output_row(j) for j in range(self.num_followers)]

    def _check_follower(self, follower: int) -> None:
        if not 0 <= follower < self.num_followers:
            raise IndexError(f"follower {follower} outside 0..{self.num_followers - 1}")

    # Per-row values -----------------------------------------------------------------------------

    def arrange(
        self,
        leader: T,
        followers: Sequence[T] | Sequence[Sequence[T]],
        outputs: Sequence[T] | Callable[[int], T],
        *,
        per_copy: bool = False,
    ) -> list[T]:
        """Per-row list from per-role values.

        Args:
            leader: value of the leader row.
            followers: one value per follower (used for each of its copies), or with
                ``per_copy`` one sequence of k values per follower.
            outputs: one value per output, or a function of the follower index.
            per_copy: whether ``followers`` gives a value per copy.

        Returns:
            B values in row order.
        """
        if len(followers) != self.num_followers:
            raise ValueError(f"got {len(followers)} follower values for {self.num_followers}")
        values: list[T] = [leader]
        for j, value in enumerate(followers):
            if per_copy:
                copies = list(value)  # type: ignore[arg-type]
                if len(copies) != self.follower_copies:
                    raise ValueError(
                        f"follower {j} has {len(copies)} copy values, expected {self.follower_copies}"
                    )
                values.extend(copies)
            else:
                values.extend([value] * self.follower_copies)  # type: ignore[list-item]
        out = [outputs(j) for j in range(self.num_followers)] if callable(outputs) else outputs
        if len(out) != self.num_followers:
            raise ValueError(f"got {len(out)} output values for {self.num_followers} followers")
        values.extend(out)
        return values

    def split(self, values: Sequence[T]) -> Split[T]:
        """Per-role view of a per-row sequence (e.g. a list of motions, or rows of a tensor)."""
        if len(values) < self.num_rows:
            raise ValueError(f"got {len(values)} rows, the layout has {self.num_rows}")
        return Split(
            leader=values[self.leader_row],
            followers=[
                [values[r] for r in self.follower_rows(j)] for j in range(self.num_followers)
            ],
            outputs=[values[r] for r in self.output_rows],
        )

    def split_inputs(self, values: Sequence[T]) -> tuple[T, list[list[T]]]:
        """(leader, followers ``[F][k]``) from a per-input-row sequence of length 1 + F * k."""
        if len(values) != self.num_input_rows:
            raise ValueError(f"got {len(values)} input rows, the layout has {self.num_input_rows}")
        followers = [[values[r] for r in self.follower_rows(j)] for j in range(self.num_followers)]
        return values[self.leader_row], followers

    # Index tensors for the mixing processor -------------------------------------------------

    def mixing_indices(self, batch_size: int, device: torch.device | str) -> MixingIndices:
        """Index tensors for a batch of ``batch_size >= B`` rows (extra rows run plain)."""
        followers = [self.follower_rows(j) for j in range(self.num_followers)]
        return _cached_mixing_indices(
            self, batch_size, device, followers, leaders=None, leader_row=self.leader_row
        )


@dataclass(frozen=True)
class PairLayout:
    """Batch layout of independent (leader, follower) pairs over shared leader and follower rows.

    Args:
        num_leaders: L >= 1 distinct leader rows.
        num_followers: F >= 1 distinct followers.
        pairs: P >= 1 pairs ``(leader index, follower index)``; every leader and follower is
            in at least one pair.
        follower_copies: k >= 1 rows per follower (their keys/values are concatenated).
    """

    num_leaders: int
    num_followers: int
    pairs: tuple[tuple[int, int], ...]
    follower_copies: int = 1
    _cache: dict[tuple[int, str], MixingIndices] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if self.num_leaders < 1 or self.num_followers < 1 or not self.pairs:
            raise ValueError("a pair batch needs at least one leader, follower and pair")
        if self.follower_copies < 1:
            raise ValueError(f"follower_copies must be >= 1, got {self.follower_copies}")
        used_leaders = {a for a, _ in self.pairs}
        used_followers = {b for _, b in self.pairs}
        if used_leaders != set(range(self.num_leaders)) or used_followers != set(
            range(self.num_followers)
        ):
            raise ValueError("every leader and follower row must be in a pair, and only those")

    @property
    def num_rows(self) -> int:
        """B = L + F * k + P."""
        return self.num_input_rows + len(self.pairs)

    @property
    def num_input_rows(self) -> int:
        """Rows with their own initial latent: the leaders and every follower copy (L + F * k)."""
        return self.num_leaders + self.num_followers * self.follower_copies

    def leader_row(self, leader: int) -> int:
        """Row of leader ``leader``."""
        return leader

    def follower_rows(self, follower: int) -> list[int]:
        """Rows of the k copies of follower ``follower``."""
        start = self.num_leaders + follower * self.follower_copies
        return list(range(start, start + self.follower_copies))

    def output_row(self, pair: int) -> int:
        """Row of pair ``pair``'s output."""
        return self.num_input_rows + pair

    @property
    def output_rows(self) -> list[int]:
        """Rows of all outputs, in pair order."""
        return [self.output_row(p) for p in range(len(self.pairs))]

    def pair_rows(self, pair: int) -> list[int]:
        """Pair ``pair``'s rows in `TransferLayout` order: its leader, its follower's copies,
        its output."""
        leader, follower = self.pairs[pair]
        return [self.leader_row(leader), *self.follower_rows(follower), self.output_row(pair)]

    def arrange(
        self, leaders: Sequence[T], followers: Sequence[T], outputs: Sequence[T]
    ) -> list[T]:
        """Per-row list from one value per leader, per follower (for each copy), per pair."""
        if (len(leaders), len(followers), len(outputs)) != (
            self.num_leaders,
            self.num_followers,
            len(self.pairs),
        ):
            raise ValueError("one value per leader, per follower and per pair is needed")
        copies = [value for value in followers for _ in range(self.follower_copies)]
        return [*leaders, *copies, *outputs]

    def mixing_indices(self, batch_size: int, device: torch.device | str) -> MixingIndices:
        """Index tensors for a batch of ``batch_size >= B`` rows (extra rows run plain)."""
        followers = [self.follower_rows(b) for _, b in self.pairs]
        leaders = [self.leader_row(a) for a, _ in self.pairs]
        return _cached_mixing_indices(
            self, batch_size, device, followers, leaders=leaders, leader_row=leaders[0]
        )


def _cached_mixing_indices(
    layout: TransferLayout | PairLayout,
    batch_size: int,
    device: torch.device | str,
    followers: list[list[int]],
    *,
    leaders: list[int] | None,
    leader_row: int,
) -> MixingIndices:
    """The layout's index tensors for a batch of ``batch_size`` rows, built once per batch size
    and device.

    ``followers[j]`` are the follower rows output j reads, ``leaders[j]`` its leader row (None
    when every output's leader is ``leader_row``).
    """
    if batch_size < layout.num_rows:
        raise ValueError(
            f"batch of {batch_size} rows is smaller than the layout ({layout.num_rows})"
        )
    key = (batch_size, str(device))
    cached = layout._cache.get(key)
    if cached is not None:
        return cached
    outputs = layout.output_rows
    plain = [r for r in range(batch_size) if r not in set(outputs)]
    position = {row: i for i, row in enumerate(plain)}

    def long(values: Sequence[int] | Sequence[Sequence[int]]) -> Tensor:
        return torch.tensor(values, dtype=torch.long, device=device)

    indices = MixingIndices(
        batch_size=batch_size,
        plain=long(plain),
        leader_in_plain=position[leader_row],
        followers_in_plain=long([[position[r] for r in rows] for rows in followers]),
        follower_rows=long(followers),
        outputs=long(outputs),
        outputs_last=outputs == list(range(batch_size - len(outputs), batch_size)),
        leaders_in_plain=None if leaders is None else long([position[r] for r in leaders]),
    )
    layout._cache[key] = indices
    return indices
