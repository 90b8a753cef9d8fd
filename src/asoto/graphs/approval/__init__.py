"""The approval flow: policy → pending approval → a person's decision → effects, exactly once."""

from asoto.graphs.approval.graph import builder

__all__ = ["builder"]
