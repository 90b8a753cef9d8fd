"""Use cases behind the API routes: threads, runs, keys. Routes stay a few lines each."""
