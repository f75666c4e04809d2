"""`TransferResult`: the motions of one transfer, their diagnostics, and how they are saved.

`TransferResult.save(dir)` writes (never replacing an existing file unless ``overwrite``; the
files are written into a temporary folder beside ``dir`` and swapped in together at the end):

- ``results.npy``: a dict the reference's (MDM's) tools read: ``motion`` float32
  ``[N, 22, 3, T]`` joint positions (rows in batch order: leader, follower copies, outputs;
  frames past a row's length repeat its last frame), ``text`` (N captions, "" for none),
  ``lengths`` int ``[N]``, ``num_samples`` N, ``num_repetitions`` 1 (`momo.io.formats`);
- ``results.txt``: the N captions, one per line;
- ``<row>.npy`` (raw features ``[T, 263]``) and ``<row>.bvh`` for every row (``leader``,
  ``follower_<j>`` / ``follower_<j>_copy<c>``, ``output_<j>``). For a real leader,
  ``leader.npy`` / ``leader.bvh`` hold the leader *as given* (the user's motion), and the leader
  row as inverted and denoised in the batch, where it differs, is written as
  ``leader_reconstruction.npy`` / ``leader_reconstruction.bvh`` (``results.npy`` keeps the
  batch rows, as the reference writes them);
- ``transfer.mp4``: the leader (as given, for a real one) and the outputs side by side, captions
  as titles;
- ``followers.mp4``: every follower row side by side;
- ``config.json``: every resolved parameter of the call;
- ``metrics.json``: MoMo's auxiliary metrics of each output against its leader and follower.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from momo.errors import OutputExistsError
from momo.utils.files import path_exists
from momo.utils.output_dirs import staged_directory

if TYPE_CHECKING:
    from torch import Tensor

    from momo.evaluation.metrics import TransferMetrics
    from momo.motion.motion import Motion
    from momo.pipelines.transfer.layout import TransferLayout

logger = logging.getLogger(__name__)

RESULTS_NPY = "results.npy"
RESULTS_TXT = "results.txt"
CONFIG_JSON = "config.json"
METRICS_JSON = "metrics.json"
TRANSFER_VIDEO = "transfer.mp4"
FOLLOWERS_VIDEO = "followers.mp4"
#: Stem of the files holding a real leader's row as inverted and denoised in the batch.
LEADER_RECONSTRUCTION = "leader_reconstruction"


def result_files(
    layout: TransferLayout, *, render: bool = True, reconstruction: bool = False
) -> list[str]:
    """Names of the files `TransferResult.save` writes for a layout (no directories);
    ``reconstruction``: a real leader whose denoised row differs from it (its reconstruction
    files are written too)."""
    names = [RESULTS_NPY, RESULTS_TXT]
    for row in layout.rows:
        names += [f"{row.label}.npy", f"{row.label}.bvh"]
    if reconstruction:
        names += [f"{LEADER_RECONSTRUCTION}.npy", f"{LEADER_RECONSTRUCTION}.bvh"]
    if render:
        names += [TRANSFER_VIDEO, FOLLOWERS_VIDEO]
    return [*names, CONFIG_JSON, METRICS_JSON]


#: Names of the files a save may write, whatever the layout (what an overwrite replaces).
_RESULT_FILE = re.compile(
    r"(results\.(npy|txt)|config\.json|metrics\.json|transfer\.mp4|followers\.mp4"
    r"|(leader|leader_reconstruction|follower_\d+(_copy\d+)?|output_\d+)\.(npy|bvh))"
)


def is_result_file(name: str) -> bool:
    """True for a name `TransferResult.save` writes for some layout (e.g. ``output_3.bvh``)."""
    return _RESULT_FILE.fullmatch(name) is not None


def check_result_dir(
    directory: str | os.PathLike[str],
    layout: TransferLayout,
    *,
    overwrite: bool,
    render: bool = True,
) -> Path:
    """Raise `OutputExistsError` if ``directory`` holds any file a save would write.

    Lets a caller fail before a long computation rather than after it. A dangling symlink
    counts as existing.
    """
    directory = Path(directory)
    replaceable = overwrite and directory.is_symlink()
    if path_exists(directory) and not directory.is_dir() and not replaceable:
        raise OutputExistsError(
            f"{directory} exists and is not a directory (or is a dangling symlink); "
            "choose another --out"
        )
    if not overwrite:
        names = result_files(layout, render=render, reconstruction=True)
        clashes = [n for n in names if path_exists(directory / n)]
        if clashes:
            shown = ", ".join(clashes[:4]) + (", ..." if len(clashes) > 4 else "")
            raise OutputExistsError(
                f"{directory} already holds transfer results ({shown}); choose another output "
                "directory or pass overwrite=True (--overwrite)"
            )
    return directory


def _caption(motion: Motion) -> str:
    return motion.text or ""


def _describe(row: Motion, given: Motion | None) -> str:
    """A title: the caption, else the name of the motion as given (e.g. its file), else the row."""
    return row.text or (given.name if given is not None and given.name else None) or str(row.name)


@dataclass(frozen=True, eq=False)
class TransferResult:
    """What `momo.transfer` returns.

    Attributes:
        outputs: one `Motion` per follower, of the leader's length, captioned with the
            follower's text.
        leader: the leader row as denoised in the same batch.
        followers: each follower's (first copy's) row as denoised.
        follower_copies: ``[F][k]``: every copy of every follower as denoised.
        layout: the batch layout used.
        config: every resolved parameter (what ``config.json`` holds).
        leader_input: the real leader motion as given, or None for a prompt.
        follower_inputs: per follower, the real motion as given, or None for a prompt.
        samples: the final normalised batch ``[B, T_max, 263]`` (model dtype, on the CPU, root
            rotation assigned when asked), or None.
    """

    outputs: list[Motion]
    leader: Motion
    followers: list[Motion]
    follower_copies: list[list[Motion]]
    layout: TransferLayout
    config: dict[str, Any] = field(default_factory=dict)
    leader_input: Motion | None = None
    follower_inputs: list[Motion | None] = field(default_factory=list)
    samples: Tensor | None = None

    @classmethod
    def from_rows(
        cls,
        rows: Sequence[Motion],
        layout: TransferLayout,
        *,
        config: dict[str, Any] | None = None,
        leader_input: Motion | None = None,
        follower_inputs: Sequence[Motion | None] | None = None,
        samples: Tensor | None = None,
    ) -> TransferResult:
        """Build from one motion per batch row (in layout order)."""
        split = layout.split(list(rows))
        inputs = (
            list(follower_inputs) if follower_inputs is not None else [None] * len(split.outputs)
        )
        return cls(
            outputs=list(split.outputs),
            leader=split.leader,
            followers=[copies[0] for copies in split.followers],
            follower_copies=[list(copies) for copies in split.followers],
            layout=layout,
            config=dict(config or {}),
            leader_input=leader_input,
            follower_inputs=inputs,
            samples=samples,
        )

    @property
    def has_reconstruction(self) -> bool:
        """True for a real leader whose row in the batch (inverted, then denoised) differs
        from the motion as given (with ``reuse_inversion`` the row *is* the motion)."""
        if self.leader_input is None:
            return False
        given, row = self.leader_input.features, self.leader.features
        return given.shape != row.shape or not np.array_equal(np.asarray(given), np.asarray(row))

    @property
    def written_leader(self) -> Motion:
        """The leader that ``leader.npy`` holds: the motion as given, else the generated row."""
        return self.leader_input if self.leader_input is not None else self.leader

    @property
    def rows(self) -> list[Motion]:
        """Every row's motion in batch order (leader, follower copies, outputs)."""
        return self.layout.arrange(self.leader, self.follower_copies, self.outputs, per_copy=True)

    def metric_references(self) -> list[tuple[Motion, Motion]]:
        """Per output, the (leader, follower) it is measured against.

        A real motion is compared as given; a generated one as denoised in this batch (its
        first copy).
        """
        leader = self.leader_input if self.leader_input is not None else self.leader
        return [
            (leader, given if given is not None else denoised)
            for given, denoised in zip(self.follower_inputs, self.followers)
        ]

    def metrics(self) -> list[TransferMetrics]:
        """The paper's auxiliary transfer metrics of each output vs its leader and follower."""
        return list(self._metrics)

    @cached_property
    def _metrics(self) -> tuple[TransferMetrics, ...]:
        from momo.evaluation.metrics import transfer_metrics

        return tuple(
            transfer_metrics(output.features, leader.features, follower.features)
            for output, (leader, follower) in zip(self.outputs, self.metric_references())
        )

    def metrics_records(self) -> list[dict[str, Any]]:
        """`metrics` as JSON-ready dicts, with which rows were compared."""
        records = []
        for j, (output, values) in enumerate(zip(self.outputs, self.metrics())):
            records.append(
                {
                    "output": output.name,
                    "follower": j,
                    "leader_text": self.leader.text,
                    "follower_text": self.followers[j].text,
                    "leader_reference": "input" if self.leader_input is not None else "generated",
                    "follower_reference": (
                        "input" if self.follower_inputs[j] is not None else "generated"
                    ),
                    **values.as_dict(),
                }
            )
        return records

    def save(
        self,
        out_dir: str | os.PathLike[str],
        *,
        overwrite: bool = False,
        render: bool = True,
        skeleton: str | os.PathLike[str] | None = None,
    ) -> list[Path]:
        """Write every result file into ``out_dir`` (see the module docstring).

        The files are written into a temporary folder beside ``out_dir`` that is swapped in at
        the end, so an interrupted or failed save leaves ``out_dir`` as it was, and a
        replaced folder holds only the new run's results (plus any other files it had).

        Args:
            out_dir: directory (created if missing; files in it that are not transfer results
                are kept).
            overwrite: replace the results of an earlier save (all of them, including ones
                this save does not write, e.g. videos with ``render=False``); otherwise any
                clash raises before anything is written.
            render: write the two .mp4 videos (the slowest part).
            skeleton: rig of the .bvh files: ``"smpl"`` (default) or a ``.bvh`` file (see
                `momo.save_motion`); on the leader's own file, the leader row keeps that
                file's motion in the joints the 22-joint layout does not drive.

        Returns:
            The paths written.

        Raises:
            OutputExistsError: a result file exists and ``overwrite`` is False.
            OutputWriteError: the folder cannot be written.
        """
        directory = check_result_dir(out_dir, self.layout, overwrite=overwrite, render=render)
        keep = (lambda name: not is_result_file(name)) if overwrite else (lambda name: True)
        with staged_directory(directory, keep=keep, overwrite=overwrite) as staging:
            names = self._write_files(staging, render=render, skeleton=skeleton)
        logger.info("wrote %d files to %s", len(names), directory)
        return [directory / name for name in names]

    def _write_files(
        self, directory: Path, *, render: bool, skeleton: str | os.PathLike[str] | None = None
    ) -> list[str]:
        """Write the result files into the (new, empty) ``directory``; returns their names."""
        rows = self.rows
        labels = [row.label for row in self.layout.rows]
        joints = [np.asarray(m.joints(), dtype=np.float32) for m in rows]
        written: list[str] = []

        def target(name: str) -> Path:
            written.append(name)
            return directory / name

        from momo.io.api import own_rig, save_motion
        from momo.io.formats import save_results_npy

        leader_file = None if self.leader_input is None else own_rig(self.leader_input)
        on_leader = (
            leader_file is not None and skeleton is not None and _same(leader_file, skeleton)
        )

        save_results_npy(joints, [_caption(m) for m in rows], target(RESULTS_NPY))
        target(RESULTS_TXT).write_text("".join(_caption(m).replace("\n", " ") + "\n" for m in rows))
        files = list(zip(labels, rows))
        if self.has_reconstruction:
            files = [("leader", self.written_leader), (LEADER_RECONSTRUCTION, self.leader)]
            files += list(zip(labels, rows))[1:]
        for label, motion in files:
            save_motion(motion, target(f"{label}.npy"))
            keep = on_leader and label == "leader"
            save_motion(motion, target(f"{label}.bvh"), skeleton=skeleton, keep=keep)
        if render:
            self._render(rows, joints, target)
        target(CONFIG_JSON).write_text(
            json.dumps(self.config, indent=2, default=_json_default) + "\n"
        )
        target(METRICS_JSON).write_text(
            json.dumps({"outputs": self.metrics_records()}, indent=2) + "\n"
        )
        return written

    def _render(
        self, rows: list[Motion], joints: list[np.ndarray], target: Callable[[str], Path]
    ) -> None:
        """The two videos: leader beside the outputs, and every follower row."""
        from momo.io.render import render_motions

        split = self.layout.split(list(zip(rows, joints)))
        leader_name = _describe(self.leader, self.leader_input)
        follower_names = [
            _describe(m, given) for m, given in zip(self.followers, self.follower_inputs)
        ]
        leader = self.written_leader
        panels = [(leader, np.asarray(leader.joints(), dtype=np.float32)), *split.outputs]
        titles = [f"leader: {leader_name}"] + [
            f"output {j + 1}: {name}" for j, name in enumerate(follower_names)
        ]
        render_motions([j for _, j in panels], target(TRANSFER_VIDEO), titles=titles)
        follower_panels = [pair for copies in split.followers for pair in copies]
        follower_titles = [
            f"follower {j + 1}"
            + (f" copy {c + 1}" if self.layout.follower_copies > 1 else "")
            + f": {follower_names[j]}"
            for j, copies in enumerate(split.followers)
            for c in range(len(copies))
        ]
        render_motions(
            [j for _, j in follower_panels], target(FOLLOWERS_VIDEO), titles=follower_titles
        )


def _json_default(value: Any) -> Any:
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def _same(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Whether two paths name the same file."""
    return Path(a).resolve() == Path(b).resolve()
