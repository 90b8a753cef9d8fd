"""The parts that think: chat and embedding providers, and one module per agent."""
