"""NextHub: a local-first AI hub that runs GGUF models on the user's own machine."""

__version__ = "0.1.0"
