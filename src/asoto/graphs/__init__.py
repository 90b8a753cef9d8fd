"""The state machines: one package per flow, and the registry the API serves."""
