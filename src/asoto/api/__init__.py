"""The HTTP API: LangGraph-Platform-shaped threads/runs/assistants, plus domain endpoints."""
