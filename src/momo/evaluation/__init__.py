"""Evaluation: MoMo auxiliary metrics and benchmark runners."""
