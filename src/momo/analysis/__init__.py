"""Attention analysis: captured queries/keys, clustering, correspondences."""
