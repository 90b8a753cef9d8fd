"""The coaching flow: a multi-turn session with memory, ending in steps the member accepts."""

from asoto.graphs.coaching.graph import builder

__all__ = ["builder"]
