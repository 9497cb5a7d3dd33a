"""``python -m chainrule``: the command line (see :mod:`chainrule.cli`)."""

from .cli.main import main

if __name__ == "__main__":
    raise SystemExit(main())
