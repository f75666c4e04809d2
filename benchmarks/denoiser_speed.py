"""Forward speed and peak memory of the full-size MoMo denoiser (random weights).

The configuration is the released MoMo model's: trans_dec, 12 layers, width 512, FF 1024,
4 heads, DistilBERT-sized token memory (768-d) and a CLIP-sized CLS vector (512-d). The batch is
3 rows x 196 frames (a one-follower transfer at HumanML3D's longest length). The reference
implementation takes 0.205 s per such forward on this machine (2 threads, CPU).

Run: ``python benchmarks/denoiser_speed.py [--threads 2] [--repeats 20]``
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time

import torch

from momo.models.config import DenoiserConfig
from momo.models.mdm import MotionDenoiser
from momo.models.text_encoders import TextEmbedding

REFERENCE_SECONDS = 0.205


def _peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / 1024 / 1024


def _time(fn, repeats: int, warmup: int = 3) -> list[float]:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--batch", type=int, default=3)
    parser.add_argument("--frames", type=int, default=196)
    parser.add_argument("--text-tokens", type=int, default=12)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    config = DenoiserConfig()  # the official MoMo configuration
    model = MotionDenoiser(config).eval()
    params = sum(p.numel() for p in model.parameters())
    b, n = args.batch, args.frames
    x_t = torch.randn(b, n, config.nfeats)
    timesteps = torch.full((b,), 50)
    text = TextEmbedding(
        torch.randn(b, args.text_tokens, config.text_token_dim),
        torch.ones(b, args.text_tokens, dtype=torch.bool),
        torch.randn(b, config.text_pooled_dim),
    )
    lengths = torch.tensor([n] + [max(1, n * 3 // 4)] * (b - 1))
    padded = torch.arange(n)[None] < lengths[:, None]
    full = torch.ones(b, n, dtype=torch.bool)
    rss_model = _peak_rss_mb()

    cases = {
        "plain, all frames real": lambda: model(x_t, timesteps, text, full),
        "plain, padded rows (mask)": lambda: model(x_t, timesteps, text, padded),
        "guided (2B rows: cond + uncond)": lambda: model(
            x_t.repeat(2, 1, 1),
            timesteps.repeat(2),
            text.repeat(2),
            full.repeat(2, 1),
            torch.arange(2 * b) >= b,
        ),
    }
    rows = []
    with torch.inference_mode():
        for name, fn in cases.items():
            times = _time(fn, args.repeats)
            rows.append((name, statistics.median(times), min(times)))
    rss_peak = _peak_rss_mb()

    print(
        f"MotionDenoiser {config.arch}/{config.emb_trans_dec}: {config.num_layers} layers, "
        f"d={config.latent_dim}, FF={config.ff_size}, {params / 1e6:.1f}M parameters; "
        f"batch {b} x {n} frames, {args.threads} threads, torch {torch.__version__}, float32"
    )
    print()
    header = f"| {'case':<34} | {'median s':>9} | {'min s':>7} | {'vs reference':>12} |"
    print(header)
    print(f"|{'-' * 36}|{'-' * 11}|{'-' * 9}|{'-' * 14}|")
    for name, median, best in rows:
        ratio = REFERENCE_SECONDS / median
        print(f"| {name:<34} | {median:>9.3f} | {best:>7.3f} | {ratio:>11.2f}x |")
    print()
    print(f"reference (authors' code, transfer forward, batch 3 x 196): {REFERENCE_SECONDS:.3f} s")
    print(
        f"peak RSS after building the model: {rss_model:.0f} MB; after the forwards: {rss_peak:.0f} MB"
    )


if __name__ == "__main__":
    main()
