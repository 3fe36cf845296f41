"""The errors of the model package, each with a message written for the user.

They are grouped so that a caller can catch a whole family at once: a file
NextHub refuses to use is an :class:`InvalidModelError` whatever is wrong with
it, and a download that did not finish is a :class:`DownloadError`. Every
message says what happened and what the user can do about it.
"""

from __future__ import annotations

from nexthub.errors import NextHubError


class ModelError(NextHubError):
    """Something went wrong finding, checking, installing or removing a model."""


# -- A file NextHub refuses to use ------------------------------------------------------------


class InvalidModelError(ModelError):
    """A file is not a model NextHub can run; nothing was registered or copied."""


class ModelFileNotFoundError(InvalidModelError):
    """The path does not exist, or is a folder rather than a file."""


class NotGgufError(InvalidModelError):
    """The file does not start with the GGUF magic bytes."""


class TruncatedModelError(InvalidModelError):
    """The file ends before its header or its tensor data is complete."""


class CorruptModelError(InvalidModelError):
    """The GGUF header is complete but does not make sense."""


class UnsupportedArchitectureError(InvalidModelError):
    """The model's architecture is not one this version's llama.cpp can run."""


class UnsupportedGgufVersionError(InvalidModelError):
    """The file is a GGUF of a version this version of NextHub cannot read."""


# -- Memory -------------------------------------------------------------------------------------


class ModelTooLargeError(ModelError):
    """The model needs more memory than the machine has available."""


# -- The list of installed models ---------------------------------------------------------------


class ModelNotFoundError(ModelError):
    """No installed model matches the id the user gave."""


class NoModelInstalledError(ModelNotFoundError):
    """A model was needed but none is installed."""


class ModelAlreadyInstalledError(ModelError):
    """The file or catalog model is already installed."""


class StarterModelRemovalError(ModelError):
    """The starter model belongs to a Python package and cannot be removed by NextHub."""


class RegistryError(ModelError):
    """The list of installed models cannot be read or written."""


class ModelStorageError(ModelError):
    """A model file could not be copied, moved or deleted."""


class NotEnoughDiskSpaceError(ModelStorageError):
    """There is not enough free disk space for the model file."""


# -- The catalog -------------------------------------------------------------------------------


class CatalogError(ModelError):
    """The catalog of recommended models is missing or malformed (a packaging bug)."""


class CatalogModelNotFoundError(ModelError):
    """The id the user gave is not in the catalog of recommended models."""


# -- Downloads ---------------------------------------------------------------------------------


class DownloadError(ModelError):
    """A catalog download did not finish; nothing was installed."""


class DownloadCancelledError(DownloadError):
    """The user cancelled a download; the partial file is kept so it can resume."""


class ChecksumMismatchError(DownloadError):
    """The downloaded bytes are not the file the catalog or the Hub names."""
