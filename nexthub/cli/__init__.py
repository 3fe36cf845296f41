"""The ``nexthub`` command: the terminal face of NextHub."""
