"""Bundled assets: the default model and its card."""
