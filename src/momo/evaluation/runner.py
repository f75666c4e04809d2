"""`run_benchmark`: MoMo and its baselines over a list of HumanML3D leader/follower pairs.

Steps:

1. Resolve the pairs (``"mtb"``, a JSON file or a list; all or a seeded subset) and every id in
   the dataset, before any slow work; motions are cut to their first 196 frames (or the
   model's limit, if lower), and the summary counts the cropped pairs.
2. Per pair (in order, resumable): MoMo's output by `momo.transfer` (``inversion``: the real
   leader and follower are inverted; ``gen``: both are generated from their first captions),
   then each baseline from the same leader and follower. In inversion mode pairs that share a
   follower (or a leader, when that is shared by more pairs) run as one batch over shared
   rows (`momo.evaluation.shards`, `momo.pipelines.transfer.pairs`; same outputs up to float
   rounding). Under torchrun each rank runs its own shard of these groups and
   writes its pairs' records; rank 0 writes the summary once every rank is done. Each output gets the auxiliary
   metrics and, with an evaluator, its motion embedding. With ``out_dir`` every pair's record
   (JSON) and outputs (``.npz``) are written atomically, so an interrupted run resumes.
3. Summary per method: means of the auxiliary metrics; with an evaluator, FID against the
   ground-truth test motions whose names contain a pair's id (mirrored and segment copies
   included, as the reference), and MoMo's negative-sample R-precision and matching score
   (each output with its follower's first caption, ranked against 31 ground-truth motions of a
   seeded test batch; full batches of 32 only). Both caption lengths are reported:
   ``r_precision`` uses the true length, ``r_precision_paper`` MoMo's quirk (always 22),
   which is what the paper's numbers were computed with. Follower similarity searches the
   leader's and follower's own frames only (the reference also searches their zero padding up
   to the batch's longest motion, i.e. the mean pose; that depends on batching and is left out).
4. ``summary.json`` (with the resolved settings), ``summary.md`` and ``summary.png``, written
   last, so a folder holding ``summary.json`` holds a finished run.

The dataset may be any source read the same way (``resolve``, ``entry_features``,
``evaluation_set``, ``mean`` / ``std``, ``root``): `momo.evaluation.heldout.HeldOutSet` reads
the held-out split of a training-data cache, whose ``description()`` joins the settings and
whose ``pair_kind`` adds one summary per kind of pair (``BenchmarkReport.by_kind``). The
evaluator may be a descriptor space with its own summary columns
(`momo.evaluation.descriptor.ClassifierEvaluator`; see `momo.evaluation.summary`).
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from momo.errors import EvaluationError, MomoError, OutputExistsError
from momo.evaluation import baselines as baseline_fns
from momo.evaluation.distributed import barrier, rank_and_world
from momo.evaluation.inversion_cache import InversionCache
from momo.evaluation.pairs import load_pairs, subset
from momo.evaluation.report import plot_summary, report_markdown
from momo.evaluation.shards import shard, transfer_groups
from momo.evaluation.summary import auxiliary_metrics, summarize, summarize_by_kind
from momo.utils.files import atomic_output

if TYPE_CHECKING:
    from momo.evaluation.evaluator import T2MEvaluator
    from momo.models.bundle import MotionDiffusionModel

#: Longest motion evaluated (HumanML3D's and the evaluator's limit); longer ones are cut.
MAX_FRAMES = 196
MODES = ("inversion", "gen")
#: Keywords of `momo.transfer` the runner sets itself.
_RUNNER_KEYWORDS = {"model", "leader", "followers", "seed", "progress", "num_frames", "inversions"}


@dataclass(frozen=True)
class BenchmarkSettings:
    """Everything that determines a run's results (recorded in ``summary.json``)."""

    pairs: str
    pairs_sha256: str
    mode: str
    baselines: tuple[str, ...]
    match: str
    subset: int | None
    seed: int
    evaluator: str | None
    model_sha256: str
    transfer_options: dict[str, Any] = field(default_factory=dict)
    #: The source's own description (``dataset.description()``), when it gives one.
    data: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict (without ``data`` when the source gives none)."""
        values = asdict(self)
        if values["data"] is None:
            del values["data"]
        return json.loads(json.dumps(values, default=_json_default))


@dataclass(frozen=True)
class BenchmarkReport:
    """What `run_benchmark` returns.

    Attributes:
        summary: per method (``"momo"`` and each baseline) the paper's columns.
        pairs: one record per evaluated pair: ids, entry names, lengths, whether cropped, the
            follower's caption, and per method the auxiliary metrics and embedding.
        settings: the resolved settings.
        by_kind: per kind of pair (sources with ``pair_kind``, e.g. ``"style"``, ``"action"``)
            the same summary over those pairs only; empty for other sources.
    """

    summary: dict[str, dict[str, Any]]
    pairs: list[dict[str, Any]]
    settings: dict[str, Any]
    by_kind: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def markdown(self) -> str:
        """The summary as a Markdown table (then one table per kind of pair, if any)."""
        return report_markdown(self.summary, self.by_kind, self.settings.get("evaluator"))


def run_benchmark(
    model: MotionDiffusionModel,
    dataset: Any,
    pairs: str | os.PathLike[str] | Sequence[Sequence[str]] = "mtb",
    *,
    evaluator: T2MEvaluator | None = None,
    mode: str = "inversion",
    baselines: Sequence[str] = (),
    out_dir: str | os.PathLike[str] | None = None,
    resume: bool = True,
    progress: bool = True,
    subset_size: int | None = None,
    seed: int = 0,
    match: str = "exact",
    command: str | None = None,
    inversion_cache: InversionCache | str | os.PathLike[str] | None = None,
    **transfer_options: Any,
) -> BenchmarkReport:
    """Run MoMo (and baselines) over benchmark pairs and summarise in the paper's columns.

    Args:
        model: the diffusion model (`momo.load_model`).
        dataset: a `momo.data.HumanML3D` folder (or a `momo.evaluation.heldout.HeldOutSet`).
        pairs: ``"mtb"``, a JSON file of ``[leader_id, follower_id]`` lists, or such a list.
        evaluator: a `T2MEvaluator` for FID / R-precision / matching score, or a descriptor
            space such as `momo.evaluation.descriptor.ClassifierEvaluator` (None: auxiliary
            metrics only).
        mode: ``"inversion"`` (real motions inverted) or ``"gen"`` (generated from captions).
        baselines: any of `momo.evaluation.baselines.BASELINES`.
        out_dir: folder for per-pair results and the summary (None: nothing written).
        resume: reuse the per-pair results a previous run with the same settings left in
            ``out_dir``.
        progress: show a progress bar with ETA.
        subset_size: evaluate a seeded random subset of this many pairs (the reference's
            protocol: 512); None: all pairs.
        seed: seed of the subset, the negatives' batches and every transfer (pair i: seed + i,
            whatever its batch). Inversion mode draws no noise, so a pair's output does not
            depend on the seed or on the pairs batched with it.
        match: how ids find their motion: ``"exact"`` or the reference's ``"contains"``
            (see `momo.data.HumanML3D.resolve`).
        command: the command line that started the run, recorded in ``summary.json``.
        inversion_cache: inversion mode: a folder (or an `InversionCache`) where each distinct
            motion's inversion is kept and later runs find it; None: kept in memory for this
            run only. Unused with ``reuse_inversion`` (which inverts with each pair).
        **transfer_options: keywords of `momo.transfer` (layers, steps, guidance_scale,
            num_steps, follower_copies, reuse_inversion, ...).

    Raises:
        EvaluationError: unknown ids, modes, baselines or options; a pair that cannot run.
        OutputExistsError: ``out_dir`` holds other files, or a run and ``resume`` is False.
    """
    pair_list = load_pairs(pairs)
    settings = _settings(
        model,
        pairs,
        pair_list,
        mode,
        baselines,
        match,
        subset_size,
        seed,
        evaluator,
        transfer_options,
        data=_description(dataset),
    )
    chosen = subset(pair_list, subset_size, seed)
    entries = _resolve_ids(dataset, [pair_list[i] for i in chosen], match)
    cache = _inversion_cache(inversion_cache, settings)
    rank, world = rank_and_world()
    out = _open_out_dir(out_dir, settings, resume, rank, world)
    groups = transfer_groups(pair_list, chosen, sharing=_sharing(settings))
    mine = shard(groups, rank, world)
    context = _RunContext(model, dataset, evaluator, settings, pair_list, entries, out, cache)
    done = _run_shard(context, mine, progress)
    if world > 1:
        barrier()  # every rank's records are written
        done = _gather(out, chosen)
    records = [done[i] for i in chosen]
    _add_kinds(records, dataset)
    methods, chosen_pairs = ["momo", *settings.baselines], [pair_list[i] for i in chosen]
    summary = summarize(records, dataset, evaluator, methods, chosen_pairs, settings.seed)
    by_kind = summarize_by_kind(records, dataset, evaluator, methods, chosen_pairs, settings.seed)
    report = BenchmarkReport(summary, records, settings.as_dict(), by_kind)
    if out is not None and rank == 0:
        _write_summary(out, report, command)
    return report


def model_digest(model: MotionDiffusionModel) -> str:
    """SHA-256 of the denoiser's weights and the normalisation (identifies a model in a run)."""
    digest = hashlib.sha256()
    for name, tensor in sorted(model.denoiser.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    for array in (model.normalizer.mean, model.normalizer.std):
        digest.update(np.ascontiguousarray(np.asarray(array)).tobytes())
    return digest.hexdigest()


def _settings(
    model: MotionDiffusionModel,
    pairs: Any,
    pair_list: list[tuple[str, str]],
    mode: str,
    baselines: Sequence[str],
    match: str,
    subset_size: int | None,
    seed: int,
    evaluator: Any,
    transfer_options: dict[str, Any],
    *,
    data: dict[str, Any] | None = None,
) -> BenchmarkSettings:
    if mode not in MODES:
        raise EvaluationError(f"unknown mode {mode!r}; use 'inversion' or 'gen'")
    if isinstance(baselines, str):
        baselines = [b for b in baselines.split(",") if b]
    unknown = [b for b in baselines if b not in baseline_fns.BASELINES]
    if unknown:
        raise EvaluationError(
            f"unknown baselines {unknown}; choose from {', '.join(baseline_fns.BASELINES)} "
            "(MoST is not implemented)"
        )
    if match not in ("exact", "contains"):
        raise EvaluationError(f"unknown id matching {match!r}; use 'exact' or 'contains'")
    import momo

    accepted = set(inspect.signature(momo.transfer).parameters) - _RUNNER_KEYWORDS
    bad = sorted(set(transfer_options) - accepted)
    if bad:
        raise EvaluationError(
            f"unknown transfer options {bad}; the runner accepts {', '.join(sorted(accepted))} "
            "(seed, progress and num_frames are its own)"
        )
    source = (
        pairs if isinstance(pairs, str) else ("list" if isinstance(pairs, Sequence) else str(pairs))
    )
    return BenchmarkSettings(
        pairs=str(source),
        pairs_sha256=hashlib.sha256(json.dumps(pair_list).encode()).hexdigest(),
        mode=mode,
        baselines=tuple(dict.fromkeys(baselines)),
        match=match,
        subset=subset_size,
        seed=int(seed),
        evaluator=None if evaluator is None else (evaluator.source or "given"),
        model_sha256=model_digest(model),
        transfer_options=dict(transfer_options),
        data=data,
    )


def _add_kinds(records: list[dict[str, Any]], dataset: Any) -> None:
    """Each record's kind of pair (``"kind"``), when the source tells kinds apart."""
    kind_of = getattr(dataset, "pair_kind", None)
    if kind_of is not None:
        for record in records:
            record["kind"] = kind_of(record["leader"], record["follower"])


def _description(dataset: Any) -> dict[str, Any] | None:
    """The source's description for the settings (HumanML3D folders give none)."""
    describe = getattr(dataset, "description", None)
    return None if describe is None else dict(describe())


def _resolve_ids(dataset: Any, pairs: list[tuple[str, str]], match: str) -> dict[str, Any]:
    ids = list(dict.fromkeys(x for pair in pairs for x in pair))
    entries, missing = {}, []
    for motion_id in ids:
        try:
            entries[motion_id] = dataset.resolve(motion_id, match=match)
        except EvaluationError:
            missing.append(motion_id)
    if missing:
        shown = ", ".join(missing[:5]) + (
            f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        )
        raise EvaluationError(
            f"{len(missing)} pair ids have no motion or captions in {dataset.root}: {shown}; "
            "check the HumanML3D folder and the pair list"
        )
    return entries


def _prepare_out_dir(out_dir: Any, settings: BenchmarkSettings, resume: bool) -> Path | None:
    if out_dir is None:
        return None
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise OutputExistsError(f"{out} exists and is not a folder; choose another --out")
    settings_path = out / "settings.json"
    if settings_path.is_file():
        try:
            previous = json.loads(settings_path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise EvaluationError(
                f"{settings_path} is not a benchmark settings file; choose another --out"
            ) from None
        if not resume:
            raise OutputExistsError(
                f"{out} holds a benchmark run; resume it (--resume) or choose another --out"
            )
        if previous != settings.as_dict():
            raise EvaluationError(
                f"{out} holds a run with other settings ({settings_path}); choose another --out"
            )
        return out
    if out.is_dir() and any(out.iterdir()):
        raise OutputExistsError(
            f"{out} is not empty and holds no benchmark run; choose another --out"
        )
    (out / "pairs").mkdir(parents=True, exist_ok=True)
    with atomic_output(settings_path) as tmp:
        tmp.write_text(json.dumps(settings.as_dict(), indent=2))
    return out


def _pair_path(out: Path, index: int) -> Path:
    return out / "pairs" / f"{index:04d}.json"


def _load_record(out: Path, index: int) -> dict[str, Any] | None:
    path = _pair_path(out, index)
    return json.loads(path.read_text()) if path.is_file() else None


def frame_limit(model: MotionDiffusionModel) -> int:
    """Longest motion a pair may have: 196 frames, or less when the model supports less."""
    return min(MAX_FRAMES, model.max_frames)


@dataclass(frozen=True)
class _RunContext:
    """What every transfer group of a run needs."""

    model: MotionDiffusionModel
    dataset: Any
    evaluator: T2MEvaluator | None
    settings: BenchmarkSettings
    pair_list: Sequence[tuple[str, str]]
    entries: dict[str, Any]
    out: Path | None
    cache: InversionCache | None


def _open_out_dir(
    out_dir: Any, settings: BenchmarkSettings, resume: bool, rank: int, world: int
) -> Path | None:
    """Rank 0 checks or creates the folder first; the other ranks then join its run."""
    if world > 1 and out_dir is None:
        raise EvaluationError("a run over several processes needs an output folder (--out)")
    out = _prepare_out_dir(out_dir, settings, resume) if rank == 0 else None
    if world > 1:
        barrier()
        out = out if rank == 0 else _prepare_out_dir(out_dir, settings, resume=True)
    return out


def _run_shard(
    context: _RunContext, groups: Sequence[list[int]], progress: bool
) -> dict[int, dict[str, Any]]:
    """Records of this rank's pairs: read when a previous run left them, else computed."""
    from tqdm.auto import tqdm

    done: dict[int, dict[str, Any]] = {}
    total = sum(map(len, groups))
    with tqdm(total=total, desc="benchmark pairs", unit="pair", disable=not progress) as bar:
        for group in groups:
            for i in group:
                record = _load_record(context.out, i) if context.out is not None else None
                if record is not None:
                    done[i] = record
            todo = [i for i in group if i not in done]
            if todo:
                done.update(_run_group(context, todo))
            bar.update(len(group))
    return done


def _gather(out: Path | None, chosen: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Every rank's records, read back from ``out`` (set whenever there are several ranks)."""
    done = {}
    for i in chosen:
        record = None if out is None else _load_record(out, i)
        if record is None:
            raise EvaluationError(f"pair {i} has no record in {out}; run the command again")
        done[i] = record
    return done


def _sharing(settings: BenchmarkSettings) -> str:
    """How pairs are batched (`momo.evaluation.shards.transfer_groups`)."""
    return "rows" if settings.mode == "inversion" else "none"


def _group_transfers(
    context: _RunContext,
    indices: Sequence[int],
    leaders: list[Any],
    followers: list[Any],
    gen_frames: int,
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per pair (output, leader reference, follower reference) features of one group.

    Inversion mode: `transfer_pairs` over the group (pair i recorded with seed + i; its
    output does not depend on the seed or the group). ``gen`` mode (one pair per group): one
    `momo.transfer` seeded with seed + the pair's index.
    """
    import momo
    from momo.pipelines.transfer.pairs import transfer_pairs

    settings, cache = context.settings, context.cache
    options = {**({} if cache is None else {"inversions": cache}), **settings.transfer_options}
    if _sharing(settings) == "rows":
        results = transfer_pairs(
            context.model,
            list(zip(leaders, followers)),
            seeds=[settings.seed + i for i in indices],
            **options,
        )
        pairs = [(r.outputs[0], *r.metric_references()[0]) for r in results]
    else:
        result = momo.transfer(
            context.model,
            leaders[0],
            followers,
            num_frames=None if settings.mode == "inversion" else gen_frames,
            seed=settings.seed + indices[0],
            progress=False,
            **options,
        )
        pairs = [(o, *refs) for o, refs in zip(result.outputs, result.metric_references())]
    return [tuple(m.features for m in pair) for pair in pairs]  # type: ignore[misc]


def _run_group(context: _RunContext, indices: Sequence[int]) -> dict[int, dict[str, Any]]:
    """One batch of pairs (`momo.evaluation.shards`); their records by index."""
    import momo

    model, dataset, settings = context.model, context.dataset, context.settings
    pair_list, entries, out = context.pair_list, context.entries, context.out
    limit = frame_limit(model)
    leader_entries = [entries[pair_list[i][0]] for i in indices]
    follower_entries = [entries[pair_list[i][1]] for i in indices]
    raw = {e.name: dataset.entry_features(e) for e in leader_entries + follower_entries}
    captions = [e.captions[0] for e in follower_entries]
    if settings.mode == "inversion":
        motions = {
            e.name: momo.Motion(raw[e.name][:limit], text=e.captions[0].text)
            for e in leader_entries + follower_entries
        }
        leaders = [motions[e.name] for e in leader_entries]
        followers = [motions[e.name] for e in follower_entries]
    else:
        leaders = [e.captions[0].text for e in leader_entries]
        followers = [c.text for c in captions]
    try:
        gen_frames = len(raw[leader_entries[0].name][:limit])
        features = _group_transfers(context, indices, leaders, followers, gen_frames)
    except MomoError as exc:
        names = ", ".join(f"{a.name}/{b.name}" for a, b in zip(leader_entries, follower_entries))
        raise EvaluationError(f"pairs {list(indices)} ({names}): {exc}") from None
    records = {}
    for j, index in enumerate(indices):
        output, leader_ref, follower_ref = features[j]
        leader_raw, follower_raw = raw[leader_entries[j].name], raw[follower_entries[j].name]
        outputs = {"momo": output}
        outputs.update(
            _baseline_outputs(
                model, dataset, settings, leader_ref, follower_ref, captions[j].text, index
            )
        )
        record = {
            "index": index,
            "leader": leader_entries[j].motion_id,
            "follower": follower_entries[j].motion_id,
            "leader_name": leader_entries[j].name,
            "follower_name": follower_entries[j].name,
            "leader_frames": int(len(leader_raw[:limit])),
            "follower_frames": int(len(follower_raw[:limit])),
            "cropped": bool(len(leader_raw) > limit or len(follower_raw) > limit),
            "follower_caption": captions[j].text,
            "follower_tokens": list(captions[j].tokens),
            "methods": _method_records(outputs, leader_ref, follower_ref, context.evaluator),
        }
        if out is not None:
            _write_record(out, index, record, outputs)
        records[index] = record
    return records


def _inversion_cache(
    given: InversionCache | str | os.PathLike[str] | None, settings: BenchmarkSettings
) -> InversionCache | None:
    """The run's inversion cache: None when nothing is inverted or inversions are replayed."""
    if settings.mode != "inversion" or settings.transfer_options.get("reuse_inversion"):
        return None
    if isinstance(given, InversionCache):
        if given.model_sha256 != settings.model_sha256:
            raise EvaluationError("the inversion cache was opened for another model")
        return given
    return InversionCache(given, settings.model_sha256)


def _method_records(
    outputs: dict[str, np.ndarray],
    leader: np.ndarray,
    follower: np.ndarray,
    evaluator: T2MEvaluator | None,
) -> dict[str, Any]:
    """Per method: the auxiliary metrics and (with an evaluator) the motion embedding."""
    methods = {}
    for method, output in outputs.items():
        embedding = None
        if evaluator is not None:
            embedding = evaluator.encode_motions([output])[0].double().cpu().tolist()
        methods[method] = {
            "metrics": auxiliary_metrics(output, leader, follower),
            "embedding": embedding,
        }
    return methods


def _write_record(
    out: Path, index: int, record: dict[str, Any], outputs: dict[str, np.ndarray]
) -> None:
    """The pair's outputs, then its record (its presence marks the pair done), atomically."""
    with atomic_output(out / "pairs" / f"{index:04d}.npz", overwrite=True) as tmp:
        np.savez(tmp, **{name: np.asarray(o, np.float32) for name, o in outputs.items()})
    with atomic_output(_pair_path(out, index), overwrite=True) as tmp:
        tmp.write_text(json.dumps(record))


def _baseline_outputs(
    model: MotionDiffusionModel,
    dataset: Any,
    settings: BenchmarkSettings,
    leader: np.ndarray,
    follower: np.ndarray,
    follower_text: str,
    index: int,
) -> dict[str, np.ndarray]:
    outputs = {}
    for name in settings.baselines:
        if name == "leader":
            outputs[name] = np.asarray(leader, np.float32)
        elif name == "follower":
            outputs[name] = np.asarray(follower, np.float32)
        elif name == "nn_motion":
            outputs[name] = baseline_fns.nn_motion(leader, follower, dataset.mean, dataset.std)
        elif name == "nn_softmax":
            outputs[name] = baseline_fns.nn_softmax(leader, follower, dataset.mean, dataset.std)
        elif name == "nn_latent":
            outputs[name] = baseline_fns.nn_latent(model, leader, follower)
        elif name == "inpainting":
            from momo.evaluation.inpainting import inpaint

            outputs[name] = inpaint(
                model,
                leader,
                follower_text,
                seed=settings.seed + index,
                num_steps=settings.transfer_options.get("num_steps"),
            )
    return outputs


def _write_summary(out: Path, report: BenchmarkReport, command: str | None) -> None:
    document = {"command": command, "settings": report.settings, "summary": report.summary}
    if report.by_kind:
        document["by_kind"] = report.by_kind
    with atomic_output(out / "summary.md", overwrite=True) as tmp:
        tmp.write_text(report.markdown())
    with atomic_output(out / "summary.png", overwrite=True) as tmp:
        plot_summary(report.summary, tmp)
    with atomic_output(out / "summary.json", overwrite=True) as tmp:
        tmp.write_text(json.dumps(document, indent=2, default=_json_default))


def _json_default(value: Any) -> Any:
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    if isinstance(value, (np.ndarray, tuple, set)):
        return list(np.asarray(value).tolist()) if isinstance(value, np.ndarray) else list(value)
    return str(value)
