"""StudyError: input a study cannot run with, shown to the user as one line."""


class StudyError(ValueError):
    """A study cannot run with the input it was given (a dataset, a folder).

    The command line prints the message as one line on stderr and exits with
    status 2; called from Python it is an ordinary `ValueError`.
    """
