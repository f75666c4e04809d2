"""Transfer jobs: a queue served one at a time by a worker process that holds the model.

`JobManager` keeps every job of this server (queued, running, done, failed, cancelled) and a
dispatcher thread that hands the next queued job to the worker (`momo.app.worker`). Cancelling
a queued job drops it; cancelling the running one ends the worker process (a transfer cannot
be interrupted from outside), deletes the job's partial output, and the next job starts a
fresh worker, which loads the model again. The same thread also hands the worker short
requests about finished jobs (`JobManager.ask_correspondences`), ahead of queued transfers.
"""

from __future__ import annotations

import logging
import multiprocessing
import shutil
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from momo.app.paths import new_id
from momo.app.worker import progress_record, worker_main
from momo.errors import ModelLoadError, TransferError

logger = logging.getLogger(__name__)

#: Job states; the last three are final.
QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
FINAL_STATES = (DONE, FAILED, CANCELLED)


@dataclass(frozen=True)
class ModelSpec:
    """Which model the worker loads (as `momo.load_model` takes it)."""

    source: str = "default"
    normalization: str | None = None
    device: str = "cpu"


@dataclass
class Job:
    """One transfer request and where it stands (mutated only under the manager's lock)."""

    id: str
    spec: dict[str, Any]
    out_dir: Path
    state: str = QUEUED
    progress: dict[str, Any] = field(default_factory=lambda: progress_record("queued"))
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    created: float = field(default_factory=time.time)
    finished: float | None = None
    cancel_requested: bool = False

    def public(self) -> dict[str, Any]:
        """The job as the page sees it (no server paths)."""
        return {
            "id": self.id,
            "state": self.state,
            "progress": dict(self.progress),
            "error": self.error,
            "warnings": list(self.warnings),
            "created": self.created,
            "finished": self.finished,
            "inputs": self.spec.get("summary", {}),
        }


@dataclass(eq=False)
class _Ask:
    """A request answered by the worker between transfers (filled in by the dispatcher)."""

    id: str
    spec: dict[str, Any]
    done: threading.Event = field(default_factory=threading.Event)
    result: dict[str, Any] | None = None
    error: str | None = None

    def fail(self, message: str) -> None:
        self.error = message
        self.done.set()


class _Worker:
    """A worker process and our end of its pipe."""

    def __init__(self, model: ModelSpec) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(
            target=worker_main,
            args=(child, model.source, model.normalization, model.device),
            name="momo-worker",
            daemon=True,
        )
        self.process.start()
        child.close()

    def wait_ready(self, timeout: float) -> dict[str, Any]:
        """Block until the model is loaded; returns its info or raises ModelLoadError."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = self._receive(0.2)
            if message is not None:
                kind, payload = message[:2]
                if kind == "ready":
                    return payload
                self.stop()
                raise ModelLoadError(payload)
            if not self.process.is_alive() and not self.conn.poll():
                raise ModelLoadError(
                    f"the worker process ended while loading the model (exit code "
                    f"{self.process.exitcode}); run `momo info` or `momo transfer` with the same "
                    "--model to see why"
                )
        self.stop()
        raise ModelLoadError(f"the model did not load within {timeout:.0f} s")

    def _receive(self, timeout: float) -> tuple | None:
        """The next message, or None if there is none within ``timeout`` or the pipe closed."""
        try:
            return self.conn.recv() if self.conn.poll(timeout) else None
        except (EOFError, OSError):
            self.process.join(timeout=10)
            return None

    def stop(self) -> None:
        """End the process now (used to cancel a running transfer)."""
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=10)
        self.conn.close()


class JobManager:
    """A FIFO of transfer jobs run one at a time on one loaded model."""

    def __init__(self, model: ModelSpec, jobs_dir: Path, *, load_timeout: float = 600.0) -> None:
        self.model = model
        self.jobs_dir = jobs_dir
        self.load_timeout = load_timeout
        self.model_info: dict[str, Any] = {}
        self._jobs: dict[str, Job] = {}
        self._queue: deque[str] = deque()
        self._asks: deque[_Ask] = deque()
        self._lock = threading.Condition()
        self._worker: _Worker | None = None
        self._closing = False
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> dict[str, Any]:
        """Start the worker, wait until the model is loaded, start dispatching; returns the
        model's info (layers, timesteps, frame limit). Raises ModelLoadError."""
        self._worker = _Worker(self.model)
        self.model_info = self._worker.wait_ready(self.load_timeout)
        self._thread = threading.Thread(target=self._dispatch, name="momo-jobs", daemon=True)
        self._thread.start()
        return self.model_info

    def close(self) -> None:
        """Stop dispatching and end the worker (a running job is cancelled)."""
        with self._lock:
            self._closing = True
            for job in self._jobs.values():
                if job.state in (QUEUED, RUNNING):
                    job.cancel_requested = True
            self._lock.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=30)
        if self._worker is not None:
            self._worker.stop()
            self._worker = None

    # -- requests --------------------------------------------------------------------------
    def submit(self, spec: dict[str, Any]) -> Job:
        """Queue a transfer (``spec`` as `momo.app.worker.run_job` takes it, without out_dir)."""
        job_id = new_id()
        out_dir = self.jobs_dir / job_id / "out"
        out_dir.parent.mkdir(parents=True)
        job = Job(job_id, {**spec, "out_dir": str(out_dir)}, out_dir)
        with self._lock:
            self._jobs[job_id] = job
            self._queue.append(job_id)
            self._lock.notify_all()
        return job

    def get(self, job_id: str) -> Job | None:
        """The job with this id, or None."""
        with self._lock:
            return self._jobs.get(job_id)

    def snapshot(self, job_id: str) -> dict[str, Any] | None:
        """`Job.public` of one job taken under the lock, or None."""
        with self._lock:
            job = self._jobs.get(job_id)
            return None if job is None else job.public()

    def list(self) -> list[dict[str, Any]]:
        """Every job, newest first."""
        with self._lock:
            return [job.public() for job in sorted(self._jobs.values(), key=lambda j: -j.created)]

    def cancel(self, job_id: str) -> dict[str, Any] | None:
        """Cancel a queued or running job (no effect on a finished one); None if unknown."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return None
            if job.state == QUEUED:
                self._queue.remove(job_id)
                self._finish(job, CANCELLED)
            elif job.state == RUNNING:
                job.cancel_requested = True
                self._lock.notify_all()
            return job.public()

    def ask_correspondences(self, spec: dict[str, Any], timeout: float = 600.0) -> dict[str, Any]:
        """Have the worker compute a finished job's correspondences (``spec`` as
        `momo.app.worker.answer_correspondences` takes it); waits for a running transfer.

        Raises:
            TransferError: the worker's message (bad layer/timestep, missing files), a
                shutdown, or no answer within ``timeout`` seconds.
        """
        ask = _Ask(new_id(), spec)
        with self._lock:
            if self._closing:
                raise TransferError("the server is shutting down")
            self._asks.append(ask)
            self._lock.notify_all()
        if not ask.done.wait(timeout):
            with self._lock:
                if ask in self._asks:
                    self._asks.remove(ask)
            raise TransferError(
                f"no answer within {timeout:.0f} s (the model may be busy with a transfer); "
                "try again later"
            )
        if ask.error is not None:
            raise TransferError(ask.error)
        return dict(ask.result or {})

    # -- dispatcher thread -----------------------------------------------------------------
    def _finish(self, job: Job, state: str, error: str | None = None) -> None:
        job.state = state
        job.error = error
        job.finished = time.time()
        job.progress = {**job.progress, "phase": state}
        if state == DONE:
            job.progress["fraction"] = 1.0

    def _dispatch(self) -> None:
        while True:
            with self._lock:
                while not self._queue and not self._asks and not self._closing:
                    self._lock.wait()
                if self._closing:
                    for ask in self._asks:
                        ask.fail("the server is shutting down")
                    return
                ask = self._asks.popleft() if self._asks else None
                if ask is None:
                    job = self._jobs[self._queue.popleft()]
                    job.state = RUNNING
                    job.progress = progress_record("starting", fraction=0.0)
            if ask is not None:
                self._answer(ask)
                continue
            try:
                self._run(job)
            except Exception as error:  # keep serving the queue whatever happened to this job
                logger.exception("job %s: the dispatcher failed", job.id)
                if self._worker is not None:
                    self._worker.stop()
                    self._worker = None
                self._discard(job)
                with self._lock:
                    self._finish(job, FAILED, f"internal error ({type(error).__name__}: {error})")

    def _ensure_worker(self, job: Job | None) -> _Worker | None:
        """The live worker (started if needed); None if the model failed to load, after
        failing ``job`` (or raising ModelLoadError when there is no job)."""
        if self._worker is not None and self._worker.process.is_alive():
            return self._worker
        if job is not None:
            with self._lock:
                job.progress = progress_record("loading the model", fraction=0.0)
        try:
            self._worker = _Worker(self.model)
            self._worker.wait_ready(self.load_timeout)
        except ModelLoadError as error:
            self._worker = None
            if job is None:
                raise
            with self._lock:
                self._finish(job, FAILED, str(error))
            return None
        return self._worker

    def _answer(self, ask: _Ask) -> None:
        """Send ``ask`` to the worker and wait for its answer; ``ask.done`` is always set."""
        try:
            worker = self._ensure_worker(None)
            worker.conn.send(("correspond", ask.id, ask.spec))
            while not ask.done.is_set():
                with self._lock:
                    if self._closing:
                        ask.fail("the server is shutting down")
                        return
                if not worker.process.is_alive() and not worker.conn.poll():
                    self._worker = None
                    ask.fail("the worker process ended unexpectedly; try a shorter motion")
                    return
                if not worker.conn.poll(0.1):
                    continue
                kind, request_id, payload = worker.conn.recv()
                if request_id != ask.id:
                    continue
                if kind == "answer":
                    ask.result = payload
                    ask.done.set()
                elif kind == "failed":
                    ask.fail(payload)
        except ModelLoadError as error:
            ask.fail(str(error))
        except Exception as error:  # keep serving the queue whatever happened to this request
            logger.exception("request %s: the dispatcher failed", ask.id)
            ask.fail(f"internal error ({type(error).__name__}: {error})")

    def _run(self, job: Job) -> None:
        worker = self._ensure_worker(job)
        if worker is None:
            return
        worker.conn.send(("run", job.id, job.spec))
        while True:
            with self._lock:
                if job.cancel_requested:
                    break
            if not worker.process.is_alive() and not worker.conn.poll():
                with self._lock:
                    self._finish(
                        job,
                        FAILED,
                        f"the worker process ended unexpectedly (exit code "
                        f"{worker.process.exitcode}); try fewer followers or frames",
                    )
                self._discard(job)
                self._worker = None
                return
            if not worker.conn.poll(0.1):
                continue
            kind, job_id, payload = worker.conn.recv()
            if job_id != job.id:
                continue
            with self._lock:
                if kind == "progress":
                    job.progress = payload
                elif kind == "warning":
                    job.warnings.append(payload)
                elif kind == "done":
                    self._finish(job, DONE)
                    return
                elif kind == "failed":
                    self._finish(job, FAILED, payload)
            if kind == "failed":
                self._discard(job)
                return
        # Cancelled while running: the transfer cannot be interrupted, so its process ends.
        worker.stop()
        self._worker = None
        self._discard(job)
        with self._lock:
            self._finish(job, CANCELLED)

    @staticmethod
    def _discard(job: Job) -> None:
        """Delete a job's partial output (only ever its own folder under the server's)."""
        shutil.rmtree(job.out_dir, ignore_errors=True)
