"""Errors that end a job with a clear message instead of a stack trace."""


class JobError(Exception):
    """A problem the user can fix; the message says what is wrong and where."""


class ConfigError(JobError):
    """The YAML config is malformed or asks for something that cannot be done."""

    def __init__(self, problems, source="config"):
        if isinstance(problems, str):
            problems = [problems]
        self.problems = list(problems)
        self.source = source
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"invalid {source}:\n{lines}")


class DataError(JobError):
    """A dataset file (image, annotation, mask) is missing, broken or inconsistent."""


class NonFiniteLossError(JobError):
    """Training produced NaN or infinite loss; continuing would only waste GPU time."""


class CancelledError(JobError):
    """The run was asked to stop (SIGTERM / SIGINT)."""


def clean_message(exc):
    """The last meaningful line of an exception re-raised from a DataLoader worker.

    PyTorch re-raises worker exceptions with the worker's whole traceback in the message; the user
    only needs the original message.
    """
    msg = str(exc)
    if "Original Traceback" in msg:
        lines = [ln.strip() for ln in msg.strip().splitlines() if ln.strip()]
        if lines:
            last = lines[-1]
            # "lakevision_jobs.errors.DataError: cannot read ..." -> "cannot read ..."
            if ": " in last and last.split(": ", 1)[0].replace(".", "").replace("_", "").isalnum():
                last = last.split(": ", 1)[1]
            return last
    return msg
