"""The `momo` command line."""
