"""The application layer: what every face (terminal, desktop app, web) needs.

Faces call the service; the service calls the engine, the models and the
store. Nothing here knows about a face.
"""
