"""The desktop app (PySide6): the only package that imports Qt.

Widgets call the service layer (:class:`nexthub.service.hub.Hub`) through
:class:`nexthub.gui.tasks.TaskRunner`, never on the Qt main thread, so the
window never waits on the engine, the database or the disk.
"""
