"""Checks of the paths kerasreg's callbacks write, and who owns which path.

At construction (`check_path`, `check_apart`): a path is a non-empty str or
path-like, a file path is not an existing folder, a folder path is not an
existing file, no parent of either is a file, and one callback's paths neither
coincide nor match the files another of its paths deletes. In
`on_train_begin`: the path can be written (`check_writable`), and the callbacks
of one `fit` do not write into each other's paths (`claim`, or `claim_files`
for both).

`claim` keeps a registry of the paths claimed by the callbacks of the `fit`
running on each model. A callback claims its paths in `on_train_begin` (the
chief only, since only it writes) and releases them in `on_train_end`; a claim
made under a new `fit` of the same model (a new `model.history`) drops the
claims left by an earlier `fit` that died before `on_train_end`. Two claims
conflict when they name the same path, or when one is a folder that the other
lies in, because a callback deletes the files it wrote in its folder.
"""

import dataclasses
import fnmatch
import os
import secrets
import weakref

from kerasreg import _filesystem, _validation
from kerasreg.callbacks._chief import is_chief

FILE, FOLDER = "file", "folder"


def check_path(argument, value, kind=FILE, suffixes=None):
    """Return `value` as a str path for `argument`, or raise.

    `kind` is `FILE` or `FOLDER`; `suffixes` the endings a file path may have.
    The file system is only read, never written.
    """
    if not isinstance(value, str | os.PathLike):
        raise _validation.invalid(argument, value, "a path", error=TypeError)
    path = os.fspath(value)
    if not isinstance(path, str):  # A bytes path-like.
        raise _validation.invalid(argument, value, "a str path", error=TypeError)
    if not path:
        raise _validation.invalid(argument, value, "a non-empty path")
    if suffixes and not path.endswith(tuple(suffixes)):
        expected = " or ".join(f"'{s}'" for s in suffixes)
        raise _validation.invalid(argument, value, f"a path ending in {expected}")
    if _filesystem.isdir(path) and kind == FILE:
        raise _validation.invalid(
            argument, value, "the path of a file, but it is an existing folder"
        )
    if _filesystem.exists(path) and not _filesystem.isdir(path) and kind == FOLDER:
        raise _validation.invalid(
            argument, value, "the path of a folder, but it is an existing file"
        )
    parent = _file_above(path)
    if parent is not None:
        raise _validation.invalid(
            argument, value, f"a path inside a folder, but {parent!r} is a file"
        )
    return path


def _file_above(path):
    """The nearest existing non-folder above `path`, or None."""
    folder, _ = _filesystem.split(path)
    while True:
        if _filesystem.exists(folder):
            return None if _filesystem.isdir(folder) else folder
        parent, _ = _filesystem.split(folder)
        if parent == folder:
            return None
        folder = parent


def check_apart(paths):
    """Raise unless the paths of one callback are apart.

    `paths` maps an argument name to `(path, patterns)`, `patterns` being the
    `glob` patterns of the files the callback deletes on that path's behalf
    (e.g. its temporaries); a `None` path is skipped. Two paths may not be the
    same, and no path may match the patterns of another.
    """
    given = [(arg, path, pats) for arg, (path, pats) in paths.items() if path]
    for i, (argument, path, _) in enumerate(given):
        for other, other_path, _ in given[:i]:
            if _filesystem.absolute(path) == _filesystem.absolute(other_path):
                raise _validation.invalid(
                    argument, path, f"a path other than {other}={other_path!r}"
                )
        for other, other_path, other_patterns in given:
            if other == argument:
                continue
            for pattern in other_patterns:
                if fnmatch.fnmatchcase(_filesystem.absolute(path), pattern):
                    raise _validation.invalid(
                        argument,
                        path,
                        f"a path that {other}={other_path!r} does not clean up "
                        f"(it deletes files matching {pattern!r})",
                    )


def check_writable(argument, value, file=None):
    """Raise unless `file` (by default `value`) can be written.

    Creates the missing parent folders, as the callback would, and writes then
    deletes a temporary beside `file`, named like those of
    `_filesystem.replacing(file)` so that `_filesystem.remove_temporaries(file)`
    deletes it if the process dies meanwhile. Call it before an epoch is
    spent; the error names `argument=value` (for a folder argument, pass the
    path of a file the callback writes in it as `file`).
    """
    folder, name = _filesystem.split(value if file is None else file)
    probe = _filesystem.join(
        folder, f".{name}{_filesystem.TEMPORARY_MARK}{secrets.token_hex(4)}"
    )
    try:
        _filesystem.makedirs(folder)
        with _filesystem.open_file(probe, "wb") as f:
            f.write(b"")
        _filesystem.remove(probe)
    except Exception as error:  # The OS or gfile error names the cause.
        raise _validation.invalid(
            argument, value, f"a writable path ({type(error).__name__}: {error})"
        ) from error


@dataclasses.dataclass(frozen=True)
class _Claim:
    owner: weakref.ref
    argument: str
    value: str  # As the user gave it, for messages.
    path: str  # Absolute, for comparisons.
    kind: str

    def describe(self):
        owner = self.owner()
        name = type(owner).__name__ if owner is not None else "a callback"
        return f"{name}'s {self.argument}={self.value!r}"


# model -> (the fit's `model.history`, [claims]).
_claims = weakref.WeakKeyDictionary()


def _inside(path, folder):
    prefix = folder.rstrip("/" + os.sep)
    return path.startswith(prefix + "/") or path.startswith(prefix + os.sep)


def claim(owner, model, paths):
    """Claim `paths` ({argument: (path, kind)}) for `owner` in `model`'s `fit`.

    Replaces `owner`'s earlier claims; raises `ValueError` naming both paths
    when one conflicts with a path claimed by another callback of the same
    `fit`. `None` paths are skipped.
    """
    token = getattr(model, "history", None)
    current_token, claims = _claims.get(model, (None, []))
    if current_token is not token:
        claims = []
    claims = [c for c in claims if c.owner() is not None and c.owner() is not owner]
    new = [
        _Claim(weakref.ref(owner), argument, path, _filesystem.absolute(path), kind)
        for argument, (path, kind) in paths.items()
        if path
    ]
    for mine in new:
        for theirs in claims:
            expected = _conflict(mine, theirs)
            if expected:
                raise _validation.invalid(mine.argument, mine.value, expected)
    _claims[model] = (token, claims + new)


def _conflict(mine, theirs):
    """What `mine` should be instead, when it conflicts with `theirs`."""
    if mine.path == theirs.path:
        return f"a path no other callback uses, but it is {theirs.describe()}"
    if theirs.kind == FOLDER and _inside(mine.path, theirs.path):
        return f"a path outside {theirs.describe()}, a folder that callback manages"
    if mine.kind == FOLDER and _inside(theirs.path, mine.path):
        return (
            "a folder that holds no other callback's path, but "
            f"{theirs.describe()} lies in it"
        )
    return None


def claim_files(owner, model, files):
    """On the chief, claim the file paths `files` ({argument: path}) for
    `owner` in `model`'s `fit`, once each is known to be writable.

    The other processes write nothing, so they claim nothing. `None` paths are
    skipped.
    """
    if not is_chief(model):
        return
    for argument, path in files.items():
        if path:
            check_writable(argument, path)
    claim(owner, model, {argument: (path, FILE) for argument, path in files.items()})


def release(owner, model):
    """Drop `owner`'s claims in `model`'s `fit` (at its `on_train_end`)."""
    token, claims = _claims.get(model, (None, []))
    kept = [c for c in claims if c.owner() is not None and c.owner() is not owner]
    _claims[model] = (token, kept)
