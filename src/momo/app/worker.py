"""The worker process: holds the loaded model and runs one transfer at a time.

`momo.app.jobs` starts `worker_main` in a fresh (spawned) process and talks to it over a pipe.
Cancelling a running transfer ends this process; the next job starts a new one. Messages sent
to the server (tuples):

- ``("ready", info)`` once the model is loaded (``info``: layers, timesteps, frame limit);
- ``("fatal", message)`` if the model cannot be loaded (the process then exits);
- ``("progress", job_id, progress)`` with ``progress`` a `progress_record`;
- ``("warning", job_id, text)`` for each warning logged during a transfer;
- ``("done", job_id, None)`` / ``("failed", job_id, message)``.

Messages received: ``("run", job_id, spec)`` (see `run_job`), ``("correspond", request_id,
spec)`` (see `answer_correspondences`; answered ``("answer", request_id, result)`` or
``("failed", request_id, message)``) and ``("stop", None, None)``.

Step progress: `momo.transfer` offers no step callback, only tqdm bars (``progress=True``). This
dedicated process sends its standard error to a `ProgressStream`, which reads the bars'
``inverting``/``sampling`` counters; if the bars change form, progress stays at the phase level.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from momo.errors import MomoError

logger = logging.getLogger(__name__)

# "inverting:  45%|####5     | 45/100 [00:01<00:02, 40.0it/s]" (tqdm's default bar).
_BAR = re.compile(r"(inverting|sampling)\b[^|\r\n]*\|[^|\r\n]*\|\s*(\d+)/(\d+)")
# Any other tqdm bar (not a warning): "...| 3/10 [".
_OTHER_BAR = re.compile(r"\|\s*\d+/\d+\s*\[")

#: Errors whose message a user can act on; anything else is reported as an internal error.
_USER_ERRORS: tuple[type[BaseException], ...] = (
    MomoError,
    ValueError,
    FileNotFoundError,
    FileExistsError,
    PermissionError,
)


def progress_record(phase: str, step: int = 0, total: int = 0, fraction: float = 0.0) -> dict:
    """What the page shows: phase name, step of the phase's total, overall fraction in [0, 1]."""
    return {"phase": phase, "step": step, "total": total, "fraction": round(fraction, 4)}


class ProgressStream(io.TextIOBase):
    """A text stream that turns tqdm's ``inverting``/``sampling`` bars into progress messages.

    ``phases`` are the bars expected in order (inversion only when a motion is real); the overall
    fraction spans ``start``..``end`` of the job.
    """

    def __init__(self, send: Any, job_id: str, phases: list[str], start: float, end: float) -> None:
        self._send = send
        self._job_id = job_id
        self._phases = phases
        self._start = start
        self._end = end
        self._last = 0.0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        for piece in re.split(r"[\r\n]+", text):
            match = _BAR.search(piece)
            if match:
                self.report(match[1], int(match[2]), int(match[3]))
            elif piece.strip() and not _OTHER_BAR.search(piece):  # a logged warning
                self._send(("warning", self._job_id, " ".join(piece.split())))
        return len(text)

    def report(self, phase: str, step: int, total: int) -> None:
        """Send one progress message (at most ~10 a second, always at a phase's end)."""
        now = time.monotonic()
        if step < total and now - self._last < 0.1:
            return
        self._last = now
        index = self._phases.index(phase) if phase in self._phases else len(self._phases) - 1
        done = (index + (step / total if total else 0.0)) / max(len(self._phases), 1)
        fraction = self._start + (self._end - self._start) * min(done, 1.0)
        self._send(("progress", self._job_id, progress_record(phase, step, total, fraction)))


def _load_input(item: dict[str, Any], limit: int, crop: bool) -> Any:
    """A `momo.Motion` for ``{"path": ..., "text": ...}``, else the prompt ``item["text"]``."""
    import momo

    if item.get("path") is None:
        return item["text"]
    motion = momo.load_motion(item["path"], item.get("text"), name=item.get("name"))
    if crop and motion.num_frames > limit:
        motion = momo.Motion(
            motion.features[:limit], text=motion.text, name=motion.name, meta=dict(motion.meta)
        )
    return motion


def run_job(model: Any, job_id: str, spec: dict[str, Any], send: Any) -> None:
    """Run one transfer described by ``spec`` and save it into ``spec["out_dir"]``.

    ``spec``: ``leader`` and ``followers`` (each ``{"path", "text", "name"}`` for a motion file
    or ``{"text"}`` for a prompt), ``settings`` (the page's fields, names as the CLI's options)
    and ``out_dir`` (an empty folder the server owns).
    """
    import momo

    settings = spec["settings"]
    send(("progress", job_id, progress_record("loading motions", fraction=0.01)))
    limit = model.max_frames
    crop = bool(settings.get("crop"))
    leader = _load_input(spec["leader"], limit, crop)
    followers = [_load_input(f, limit, crop) for f in spec["followers"]]
    options = _transfer_options(model, settings)
    real = [not isinstance(m, str) for m in [leader, *followers]]
    phases = ["inverting", "sampling"] if any(real) else ["sampling"]
    render = bool(settings.get("video", True))
    end = 0.8 if render else 0.95
    stream = ProgressStream(send, job_id, phases, 0.02, end)
    stream.report(phases[0], 0, 0)
    with contextlib.redirect_stderr(stream):  # bars become progress, warnings notes
        result = momo.transfer(model, leader, followers, progress=True, **options)
        result.config["app"] = {
            "leader": _describe(spec["leader"]),
            "followers": [_describe(f) for f in spec["followers"]],
            "settings": settings,
        }
        if settings.get("fix_feet"):
            from momo.cli.feet import with_fixed_feet

            result = with_fixed_feet(result, report=None)
        phase = "saving and rendering videos" if render else "saving"
        send(("progress", job_id, progress_record(phase, fraction=end)))
        result.save(Path(spec["out_dir"]), render=render, skeleton=_skeleton(spec))


def _skeleton(spec: dict[str, Any]) -> str:
    """The rig of the .bvh files: ``"smpl"`` or an uploaded BVH file (see `momo transfer`'s
    ``--skeleton``; the server has checked that a named leader/follower is a BVH upload)."""
    from momo.cli.skeleton import resolve_skeleton

    return resolve_skeleton(
        spec["settings"].get("skeleton"),
        leader=spec["leader"].get("path"),
        follower=spec["followers"][0].get("path"),
    )


def answer_correspondences(model: Any, request_id: str, spec: dict[str, Any], send: Any) -> None:
    """Compute a finished job's leader-to-follower correspondences and send them back.

    ``spec``: ``folder`` (the job's output folder), ``follower``, ``layer``, ``timestep``,
    ``steps`` (see `momo.app.correspond.compute_correspondences`).
    """
    from momo.app.correspond import compute_correspondences

    try:
        result = compute_correspondences(
            model,
            Path(spec["folder"]),
            int(spec["follower"]),
            spec.get("layer"),
            spec.get("timestep"),
            spec.get("steps"),
        )
    except _USER_ERRORS as error:
        send(("failed", request_id, _error_message(error)))
    except Exception as error:  # reported to the page; the worker keeps serving
        logger.exception("correspondences %s failed", request_id)
        send(("failed", request_id, _error_message(error)))
    else:
        send(("answer", request_id, result))


def _transfer_options(model: Any, settings: dict[str, Any]) -> dict[str, Any]:
    """`momo.transfer`'s keyword arguments from the page's settings (spans parsed as the CLI's)."""
    from momo.pipelines.transfer.schedule import parse_span

    num_layers = len(model.denoiser.self_attention_modules())
    layers, steps = settings.get("layers"), settings.get("steps")
    return {
        "num_frames": settings.get("frames"),
        "layers": None if layers is None else parse_span(layers, num_layers, "layers"),
        "steps": None if steps is None else parse_span(steps, model.num_timesteps, "steps"),
        "guidance_scale": settings.get("guidance"),
        "follower_copies": int(settings.get("follower_copies", 1)),
        "seed": settings.get("seed"),
        "num_steps": settings.get("sampling_steps"),
        "reuse_inversion": bool(settings.get("reuse_inversion")),
    }


def _describe(item: dict[str, Any]) -> dict[str, Any]:
    """An input as recorded in config.json: the uploaded file's name or the prompt."""
    return {"file": item.get("name"), "text": item.get("text")}


def _error_message(error: BaseException) -> str:
    """One line for the page."""
    if isinstance(error, _USER_ERRORS):
        return " ".join(str(error).split())
    return f"internal error ({type(error).__name__}: {' '.join(str(error).split())})"


def worker_main(
    conn: Connection, model_source: str, normalization: str | None, device: str
) -> None:
    """Entry point of the worker process: load the model, then serve ``run`` requests."""
    import torch

    import momo

    torch.set_flush_denormal(True)  # this process is ours alone (see momo.cli.main)
    try:
        model = momo.load_model(model_source, normalization=normalization, device=device)
    except (*_USER_ERRORS, OSError) as error:
        conn.send(("fatal", _error_message(error)))
        return
    info = {
        "num_layers": len(model.denoiser.self_attention_modules()),
        "num_timesteps": int(model.num_timesteps),
        "max_frames": _max_frames(model),
    }
    conn.send(("ready", info))
    while True:
        try:
            kind, job_id, spec = conn.recv()
        except EOFError:
            return
        if kind == "correspond":
            answer_correspondences(model, job_id, spec, conn.send)
            continue
        if kind != "run":
            return
        try:
            run_job(model, job_id, spec, conn.send)
        except _USER_ERRORS as error:  # the page shows the message; no traceback
            conn.send(("failed", job_id, _error_message(error)))
        except Exception as error:  # reported to the page; the worker keeps serving
            logger.exception("job %s failed", job_id)
            conn.send(("failed", job_id, _error_message(error)))
        else:
            conn.send(("done", job_id, None))


def _max_frames(model: Any) -> int:
    return int(model.max_frames)
