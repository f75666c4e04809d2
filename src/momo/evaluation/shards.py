"""How the runner splits its pairs into transfer batches and the batches into per-rank shards.

- `transfer_groups`: in inversion mode, pairs that share a follower (MTB reuses each of its 55
  followers 15-16 times) or a leader, whichever is shared by more of the evaluated pairs, run
  as one batch (`momo.pipelines.transfer.pairs.transfer_pairs`), so the shared row is inverted
  and denoised once for all of them; each output only attends to its own leader and follower,
  so the outputs are the same as one pair at a time, up to float rounding (with
  ``reuse_inversion`` too: each pair's mixed attention is recorded while the batch's distinct
  motions are inverted). In ``gen`` mode every pair keeps its own seeded leader, so each pair is
  its own group.
- `shard`: the groups a rank of ``world`` processes runs; deterministic, and every group goes
  to exactly one rank.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from momo.errors import EvaluationError

#: Most pairs run in one batch (bounds a batch's memory; MTB's followers have at most 16).
MAX_GROUP = 16
#: How pairs are grouped: one per group, by shared leader, or by shared follower or leader.
SHARING = ("none", "leader", "rows")


def transfer_groups(
    pairs: Sequence[tuple[str, str]],
    indices: Sequence[int],
    *,
    sharing: str,
    max_group: int = MAX_GROUP,
) -> list[list[int]]:
    """Pair indices grouped into transfer batches, in order of each group's first pair.

    Args:
        pairs: every ``(leader_id, follower_id)`` of the list.
        indices: the pairs evaluated (ascending).
        sharing: ``"none"``: one pair per group; ``"leader"``: pairs with the same leader;
            ``"rows"``: each pair joins its follower's group, or its leader's when more of the
            evaluated pairs share the leader than the follower.
        max_group: most pairs in one group; a larger set gets several groups.
    """
    if max_group < 1:
        raise EvaluationError(f"a transfer batch needs at least one pair, got {max_group}")
    if sharing not in SHARING:
        raise EvaluationError(f"unknown sharing {sharing!r}; use one of {SHARING}")
    if sharing == "none":
        return [[i] for i in indices]
    leaders = Counter(pairs[i][0] for i in indices)
    followers = Counter(pairs[i][1] for i in indices)

    def key(i: int) -> tuple[str, str]:
        leader, follower = pairs[i]
        if sharing == "leader" or leaders[leader] > followers[follower]:
            return ("leader", leader)
        return ("follower", follower)

    groups: list[list[int]] = []
    open_group: dict[tuple[str, str], list[int]] = {}
    for i in indices:
        group = open_group.get(key(i))
        if group is None or len(group) >= max_group:
            group = []
            groups.append(group)
            open_group[key(i)] = group
        group.append(i)
    return groups


def shard(groups: Sequence[list[int]], rank: int, world: int) -> list[list[int]]:
    """The groups rank ``rank`` of ``world`` runs: every ``world``-th group from ``rank``."""
    if world < 1 or not 0 <= rank < world:
        raise EvaluationError(f"rank {rank} is not one of {world} processes")
    return list(groups[rank::world])
