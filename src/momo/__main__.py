"""``python -m momo``: the ``momo`` command line (also what ``torchrun -m momo`` starts)."""

from momo.cli.main import entry

if __name__ == "__main__":
    entry()
