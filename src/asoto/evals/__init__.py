"""Offline evaluation of the flows: datasets, evaluators, a runner on an isolated database,
stored runs, comparison and reports (``asoto eval``)."""
