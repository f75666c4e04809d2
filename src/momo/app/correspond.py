"""Leader-to-follower attention correspondences of a finished transfer, for the viewer.

The worker process (which holds the model) runs `momo.analysis.report.analyze_pair` on the
saved ``leader.npy`` and ``follower_<j>.npy`` of an output folder at one layer and timestep,
as ``momo analyze`` does, and `compute_correspondences` returns the mapping as JSON. The
server checks the request first with `check_request` so that values out of the model's range
are refused before the worker is asked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from momo.errors import TransferError


def check_request(
    layer: int | None, timestep: int | None, num_steps: int | None, info: dict[str, Any]
) -> None:
    """Refuse a layer, timestep or step count outside the model's range (``info``: the
    worker's ``num_layers`` and ``num_timesteps``); None = the default.

    Raises:
        TransferError: naming the value and the allowed range.
    """
    num_layers, num_timesteps = int(info["num_layers"]), int(info["num_timesteps"])
    if layer is not None and not 0 <= layer < num_layers:
        raise TransferError(
            f"layer {layer} does not exist; this model has layers 0..{num_layers - 1}"
        )
    if timestep is not None and not 0 <= timestep < num_timesteps:
        raise TransferError(
            f"timestep {timestep} does not exist; this model has timesteps 0..{num_timesteps - 1}"
        )
    if num_steps is not None and not 1 <= num_steps <= num_timesteps:
        raise TransferError(f"steps must be within 1..{num_timesteps} (the model's timesteps)")


def follower_file(folder: Path, follower: int) -> Path:
    """The saved ``follower_<j>.npy`` of an output folder.

    Raises:
        TransferError: no such follower in the folder.
    """
    path = folder / f"follower_{follower}.npy"
    if follower < 0 or not path.is_file():
        raise TransferError(f"this result has no follower {follower}; pick one of its followers")
    return path


def resolve_choice(
    model: Any, layer: int | None, timestep: int | None, num_steps: int | None
) -> tuple[int, int]:
    """``(layer, timestep)`` with the defaults filled in: the middle layer and the middle one
    of the run's timesteps (all of the model's, or ``num_steps`` respaced ones).

    Raises:
        TransferError: a timestep that the run with ``num_steps`` steps never visits.
    """
    from momo.pipelines.scheduling import sampled_timesteps

    steps = sampled_timesteps(model, num_steps)
    if layer is None:
        layer = len(model.denoiser.self_attention_modules()) // 2
    if timestep is None:
        timestep = steps[len(steps) // 2]
    elif timestep not in steps:
        raise TransferError(
            f"timestep {timestep} is not visited by a {len(steps)}-step run; choose one of "
            f"{', '.join(map(str, steps[:12]))}{' ...' if len(steps) > 12 else ''}"
        )
    return layer, timestep


def compute_correspondences(
    model: Any,
    folder: Path,
    follower: int,
    layer: int | None = None,
    timestep: int | None = None,
    num_steps: int | None = None,
) -> dict[str, Any]:
    """Match each leader frame of ``folder`` to a frame of its follower ``follower``.

    Args:
        model: the loaded model.
        folder: a transfer's output folder (``leader.npy``, ``follower_<j>.npy``).
        follower: which follower.
        layer, timestep: where to look (None: `resolve_choice`'s defaults).
        num_steps: DDIM inversion steps (None: all of the model's timesteps).

    Returns:
        ``{"follower", "layer", "timestep", "steps", "leader_frames", "follower_frames",
        "leader_to_follower", "scores"}``; ``leader_to_follower[i]`` is the follower frame that
        the leader's frame ``i`` attends to most (`momo.analysis.correspondence`).

    Raises:
        TransferError: a missing leader/follower file, or a layer/timestep the run lacks.
    """
    import momo
    from momo.analysis.report import analyze_pair

    leader_path = folder / "leader.npy"
    if not leader_path.is_file():
        raise TransferError("this result has no leader.npy; correspondences need the leader")
    follower_path = follower_file(folder, follower)
    layer, timestep = resolve_choice(model, layer, timestep, num_steps)
    leader = momo.load_motion(leader_path, name="leader")
    follower_motion = momo.load_motion(follower_path, name=follower_path.stem)
    analysis = analyze_pair(
        model, leader, follower_motion, layers=[layer], timestep=timestep, num_steps=num_steps
    )
    match = analysis.layers[0].correspondence
    return {
        "follower": follower,
        "layer": layer,
        "timestep": timestep,
        "steps": num_steps,
        "leader_frames": analysis.leader.num_frames,
        "follower_frames": analysis.follower.num_frames,
        "leader_to_follower": match.follower_frames.tolist(),
        "scores": [round(float(s), 6) for s in match.best_scores],
    }
