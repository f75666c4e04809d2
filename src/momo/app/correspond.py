"""Leader-to-follower attention correspondences of a finished transfer, for the viewer.

The worker process (which holds the model) runs `momo.analysis.report.analyze_pair` on the
saved ``leader.npy`` and ``follower_<j>.npy`` of an output folder at one layer and timestep,
as ``momo analyze`` does, and `compute_correspondences` returns the mapping as JSON. The
server checks the request first with `check_request` so that values out of the model's range
are refused before the worker is asked. Without a model (``momo view``), `read_analysis` takes
the correspondences from the folder's ``analysis.json`` as ``momo analyze`` wrote it.
"""

from __future__ import annotations

import json
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


def read_analysis(
    folder: Path, follower: int, layer: int | None = None, timestep: int | None = None
) -> dict[str, Any]:
    """The correspondences of one layer from ``folder/analysis.json`` (``momo analyze``'s
    output), checked against the folder's ``leader.npy`` and ``follower_<follower>.npy``.

    Returns:
        The same keys as `compute_correspondences` (``steps`` None), plus ``"source"``.

    Raises:
        TransferError: no or a malformed ``analysis.json``, a layer or timestep it lacks, or
            frame counts that do not fit the folder's motions.
    """
    import momo

    path = folder / "analysis.json"
    if not path.is_file():
        raise TransferError(
            "this folder has no analysis.json; run `momo analyze` on its leader and follower "
            "with --out this folder, or open the job in momo serve"
        )
    try:
        data = json.loads(path.read_text())
        layers = {int(item["layer"]): _frames_and_scores(item) for item in data["layers"]}
        saved_step = int(data["timestep"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise TransferError(f"analysis.json is not momo analyze's output ({error})") from None
    if not layers:
        raise TransferError("analysis.json holds no layer")
    if layer is None:
        layer = sorted(layers)[len(layers) // 2]
    if layer not in layers:
        raise TransferError(f"analysis.json has layers {sorted(layers)}; choose one of them")
    if timestep is not None and timestep != saved_step:
        raise TransferError(f"analysis.json is of timestep {saved_step}; run momo analyze again")
    frames, scores = layers[layer]
    leader = momo.load_motion(folder / "leader.npy", name="leader")
    other = momo.load_motion(follower_file(folder, follower), name=f"follower_{follower}")
    reach = max(frames, default=-1) + 1
    if len(frames) != leader.num_frames or min(frames, default=0) < 0 or reach > other.num_frames:
        raise TransferError(
            f"analysis.json matches {len(frames)} leader frames to up to {reach} follower frames,"
            f" but this folder's leader has {leader.num_frames} and follower "
            f"{follower} {other.num_frames}; analyse these two files"
        )
    return {
        "follower": follower,
        "layer": layer,
        "timestep": saved_step,
        "steps": None,
        "leader_frames": leader.num_frames,
        "follower_frames": other.num_frames,
        "leader_to_follower": frames,
        "scores": scores,
        "source": "analysis.json",
    }


def _frames_and_scores(item: dict[str, Any]) -> tuple[list[int], list[float]]:
    """One layer entry of ``analysis.json``: its matched follower frames and their scores."""
    match = item["correspondence"]
    return [int(f) for f in match["follower_frame"]], [float(v) for v in match.get("score", [])]
