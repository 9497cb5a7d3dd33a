"""The package version, in the floor so that every layer may read it."""

__version__ = "0.1.0"
