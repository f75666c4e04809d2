"""What users call, in numbered steps: `invert`, `generate` and `transfer` (a package).

Pipelines sit above `momo.models` and `momo.diffusion` and put them together: they prepare the
batch, encode prompts once, build the schedulers and the attention processors, and return
motions or a result dataclass. The public functions are `momo.invert`, `momo.generate` and
`momo.transfer`.
"""
