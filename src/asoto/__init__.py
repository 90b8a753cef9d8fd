"""asoto: LangGraph workflows of a coaching community, checkpointed in Postgres."""

__version__ = "0.1.0"
