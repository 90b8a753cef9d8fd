"""The matching flow: people and projects that help a member grow, explained and introduced."""

from asoto.graphs.matching.graph import builder

__all__ = ["builder"]
