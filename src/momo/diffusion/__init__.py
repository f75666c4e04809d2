"""Noise schedules, the DDIM step, sampling, inversion and classifier-free guidance."""
