"""How the runner splits its pairs into transfer batches and the batches into per-rank shards.

- `transfer_groups`: in inversion mode, pairs that share a leader run as one `momo.transfer`
  with several followers, so the leader's inversion and its sampled row are computed once for
  all of them (the outputs are the same as one pair at a time, up to float rounding: each
  output only attends to its leader and its own follower). In ``gen`` mode every pair keeps its
  own seeded leader, so each pair is its own group.
- `shard`: the groups a rank of ``world`` processes runs; deterministic, and every group goes
  to exactly one rank.
"""

from __future__ import annotations

from collections.abc import Sequence

from momo.errors import EvaluationError

#: Most followers run in one transfer (bounds a batch's memory).
MAX_GROUP = 16


def transfer_groups(
    pairs: Sequence[tuple[str, str]],
    indices: Sequence[int],
    *,
    share_leader: bool,
    max_group: int = MAX_GROUP,
) -> list[list[int]]:
    """Pair indices grouped into transfer batches, in order of each group's first pair.

    Args:
        pairs: every ``(leader_id, follower_id)`` of the list.
        indices: the pairs evaluated (ascending).
        share_leader: group pairs with the same leader (inversion mode); False: one per group.
        max_group: most pairs in one group; a leader with more pairs gets several groups.
    """
    if max_group < 1:
        raise EvaluationError(f"a transfer batch needs at least one pair, got {max_group}")
    if not share_leader:
        return [[i] for i in indices]
    groups: list[list[int]] = []
    open_group: dict[str, list[int]] = {}
    for i in indices:
        leader = pairs[i][0]
        group = open_group.get(leader)
        if group is None or len(group) >= max_group:
            group = []
            groups.append(group)
            open_group[leader] = group
        group.append(i)
    return groups


def shard(groups: Sequence[list[int]], rank: int, world: int) -> list[list[int]]:
    """The groups rank ``rank`` of ``world`` runs: every ``world``-th group from ``rank``."""
    if world < 1 or not 0 <= rank < world:
        raise EvaluationError(f"rank {rank} is not one of {world} processes")
    return list(groups[rank::world])
