"""Allow ``python -m nexthub`` as an alias of the ``nexthub`` command."""

from nexthub.cli.main import main

raise SystemExit(main())
