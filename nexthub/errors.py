"""The root of NextHub's own exceptions.

Every error a user can meet is a :class:`NextHubError` whose message is written
for that user: what happened and what to do. The command line prints the
message and exits non-zero; only ``--debug`` shows a traceback. Anything that is
not a NextHubError is a bug in NextHub.
"""


class NextHubError(Exception):
    """An error whose message is fit to show to the user as it is."""

    #: The process exit status the command line uses for this kind of error.
    exit_code: int = 1
