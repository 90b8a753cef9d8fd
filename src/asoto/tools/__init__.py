"""The parts that do: deterministic functions (scoring, checks) and DB reads. No LLM inside."""
