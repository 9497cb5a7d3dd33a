"""The ``chainrule`` command: ``main(argv=None) -> int`` (see :mod:`chainrule.cli.main`)."""

from .main import main

__all__ = ["main"]
