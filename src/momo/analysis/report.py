"""One leader/follower analysis end to end: capture, cluster, match, and write figures + JSON.

`analyze_pair` captures the self-attention features of both motions at one timestep, clusters
each motion's queries and keys per layer (`cluster_frames`) and matches leader queries to
follower keys (`correspondences`); `PairAnalysis.save` writes

- ``leader_clusters.png`` / ``follower_clusters.png``: cluster timelines, two strips per layer
  (queries, keys);
- ``correspondence_layerNN.png``: the score matrix and best matches of each layer;
- ``analysis.json``: the settings, the labels and the correspondences.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from momo.analysis.capture import AttentionFeatures, capture_features
from momo.analysis.clustering import DEFAULT_PCA_DIM, FrameClusters, cluster_frames
from momo.analysis.correspondence import Correspondences, correspondences
from momo.constants import DEFAULT_GUIDANCE_SCALE, DEFAULT_NUM_FRAMES
from momo.errors import TransferError
from momo.utils.files import atomic_output, check_output_path

if TYPE_CHECKING:
    from momo.models.bundle import MotionDiffusionModel
    from momo.motion.motion import Motion

#: Default number of K-Means clusters per motion.
DEFAULT_CLUSTERS = 4

JSON_NAME = "analysis.json"
LEADER_TIMELINE = "leader_clusters.png"
FOLLOWER_TIMELINE = "follower_clusters.png"


def correspondence_name(layer: int) -> str:
    """File name of a layer's correspondence heat map."""
    return f"correspondence_layer{layer:02d}.png"


def output_paths(out_dir: str | os.PathLike[str], layers: Sequence[int] = ()) -> list[Path]:
    """Every file `PairAnalysis.save` writes into ``out_dir`` for these layers."""
    out = Path(out_dir)
    names = [JSON_NAME, LEADER_TIMELINE, FOLLOWER_TIMELINE]
    names += [correspondence_name(layer) for layer in layers]
    return [out / name for name in names]


@dataclass(frozen=True, eq=False)
class LayerAnalysis:
    """Clusters and correspondences of one layer.

    Attributes:
        layer: 0-based layer.
        leader_queries, leader_keys: clusters of the leader's frames by queries / keys.
        follower_queries, follower_keys: the same for the follower.
        correspondence: leader queries matched to follower keys.
    """

    layer: int
    leader_queries: FrameClusters
    leader_keys: FrameClusters
    follower_queries: FrameClusters
    follower_keys: FrameClusters
    correspondence: Correspondences


@dataclass(frozen=True, eq=False)
class PairAnalysis:
    """The analysis of a leader/follower pair at one timestep (see `analyze_pair`).

    Attributes:
        leader, follower: the captured features (``timesteps == (timestep,)``).
        timestep: the model timestep analysed.
        layers: one `LayerAnalysis` per analysed layer, ascending.
        leader_name, follower_name: how the inputs were given (file or prompt), for titles.
        settings: the resolved settings (clusters, PCA size, seed, guidance, ...).
    """

    leader: AttentionFeatures
    follower: AttentionFeatures
    timestep: int
    layers: tuple[LayerAnalysis, ...]
    leader_name: str = "leader"
    follower_name: str = "follower"
    settings: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary: inputs, settings, labels per layer, correspondences."""

        def side(features: AttentionFeatures, name: str) -> dict[str, Any]:
            return {
                "input": name,
                "source": features.source,
                "text": features.text,
                "frames": features.num_frames,
            }

        return {
            "leader": side(self.leader, self.leader_name),
            "follower": side(self.follower, self.follower_name),
            "timestep": self.timestep,
            "settings": dict(self.settings),
            "layers": [
                {
                    "layer": item.layer,
                    "leader": {
                        "query_clusters": item.leader_queries.labels.tolist(),
                        "key_clusters": item.leader_keys.labels.tolist(),
                    },
                    "follower": {
                        "query_clusters": item.follower_queries.labels.tolist(),
                        "key_clusters": item.follower_keys.labels.tolist(),
                    },
                    "correspondence": {
                        "follower_frame": item.correspondence.follower_frames.tolist(),
                        "score": [float(s) for s in item.correspondence.best_scores],
                    },
                }
                for item in self.layers
            ],
        }

    def save(
        self,
        out_dir: str | os.PathLike[str],
        *,
        overwrite: bool = False,
        meta: Mapping[str, Any] | None = None,
    ) -> list[Path]:
        """Write the figures and ``analysis.json`` into ``out_dir`` (created).

        Every output path is checked before anything is written.

        Args:
            out_dir: output directory.
            overwrite: replace existing files.
            meta: extra JSON entries (e.g. which model was used).

        Returns:
            The files written (`output_paths` order).

        Raises:
            OutputExistsError: a file exists and ``overwrite`` is False.
        """
        from momo.analysis.plots import plot_cluster_timeline, plot_correspondence

        layer_ids = [item.layer for item in self.layers]
        paths = output_paths(out_dir, layer_ids)
        for path in paths:
            check_output_path(path, overwrite=overwrite)
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        json_path, leader_png, follower_png, *heat_maps = paths

        where = f"timestep {self.timestep}"
        for png, name, get in (
            (leader_png, self.leader_name, lambda i: (i.leader_queries, i.leader_keys)),
            (follower_png, self.follower_name, lambda i: (i.follower_queries, i.follower_keys)),
        ):
            rows: dict[str, Any] = {}
            for item in self.layers:
                queries, keys = get(item)
                rows[f"layer {item.layer} queries"] = queries.labels
                rows[f"layer {item.layer} keys"] = keys.labels
            plot_cluster_timeline(
                rows,
                png,
                n_clusters=self.settings.get("clusters"),
                title=f"{_short(name)}: K-Means of queries and keys, {where}",
                overwrite=overwrite,
            )
        for item, png in zip(self.layers, heat_maps):
            plot_correspondence(
                item.correspondence,
                png,
                title=f"leader queries . follower keys, layer {item.layer}, {where}",
                leader_name=f"leader ({_short(self.leader_name, 30)})",
                follower_name=f"follower ({_short(self.follower_name, 30)})",
                overwrite=overwrite,
            )
        data = self.to_dict()
        if meta:
            data.update(dict(meta))
        with atomic_output(json_path, overwrite=overwrite) as tmp:
            tmp.write_text(json.dumps(data, indent=1) + "\n")
        return paths


def _short(text: str, limit: int = 50) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def analyze_pair(
    model: MotionDiffusionModel,
    leader: Motion | str,
    follower: Motion | str,
    *,
    layers: Sequence[int] | int | None = None,
    timestep: int | None = None,
    n_clusters: int = DEFAULT_CLUSTERS,
    pca_dim: int = DEFAULT_PCA_DIM,
    seed: int = 0,
    num_frames: int = DEFAULT_NUM_FRAMES,
    guidance_scale: float = DEFAULT_GUIDANCE_SCALE,
    leader_name: str | None = None,
    follower_name: str | None = None,
    progress: bool = False,
    num_steps: int | None = None,
) -> PairAnalysis:
    """Capture, cluster and match the self-attention features of a leader and a follower.

    Args:
        model: a loaded model.
        leader, follower: real motions (DDIM-inverted) or prompts (sampled with DDIM).
        layers: 0-based layers to analyse (None: all).
        timestep: model timestep analysed (None: the middle one, ``T // 2``).
        n_clusters: K-Means clusters per motion and feature kind.
        pca_dim: principal components kept before K-Means.
        seed: seed of the prompts' initial noise (the follower's is ``seed + 1``) and of
            K-Means.
        num_frames: length of motions generated from prompts.
        guidance_scale: classifier-free guidance for prompts.
        leader_name, follower_name: labels for titles and the JSON (default: the prompt or
            the motion's name).
        progress: show progress bars.
        num_steps: DDIM steps of inversion/sampling (None: all of the model's timesteps);
            ``timestep`` must then be one of the respaced timesteps.

    Returns:
        `PairAnalysis`.

    Raises:
        TransferError: bad layers, timestep, cluster count or inputs.
    """
    if timestep is None:
        timestep = model.num_timesteps // 2
    if isinstance(timestep, bool) or not isinstance(timestep, int):
        raise TransferError(f"timestep must be an int, got {timestep!r}")

    def capture(item: Motion | str, item_seed: int) -> AttentionFeatures:
        return capture_features(
            model,
            item,
            layers=layers,
            timesteps=[timestep],
            num_frames=num_frames,
            guidance_scale=guidance_scale,
            seed=item_seed,
            progress=progress,
            num_steps=num_steps,
        )

    leader_features = capture(leader, seed)
    follower_features = capture(follower, seed + 1)

    def cluster(values: Any) -> FrameClusters:
        return cluster_frames(values, n_clusters, pca_dim=pca_dim, seed=seed)

    results = []
    for layer in leader_features.layers:
        leader_q = leader_features.query(layer, timestep)
        follower_k = follower_features.key(layer, timestep)
        results.append(
            LayerAnalysis(
                layer=layer,
                leader_queries=cluster(leader_q),
                leader_keys=cluster(leader_features.key(layer, timestep)),
                follower_queries=cluster(follower_features.query(layer, timestep)),
                follower_keys=cluster(follower_k),
                correspondence=correspondences(leader_q, follower_k),
            )
        )
    return PairAnalysis(
        leader=leader_features,
        follower=follower_features,
        timestep=timestep,
        layers=tuple(results),
        leader_name=leader_name or _describe(leader),
        follower_name=follower_name or _describe(follower),
        settings={
            "clusters": n_clusters,
            "pca_dim": pca_dim,
            "seed": seed,
            "num_frames": num_frames,
            "guidance_scale": guidance_scale,
        },
    )


def _describe(item: Motion | str) -> str:
    if isinstance(item, str):
        return item
    return item.name or item.text or "motion"
