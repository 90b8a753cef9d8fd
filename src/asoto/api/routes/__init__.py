"""HTTP routes, each a few lines over ``asoto.services``."""
