"""Find, refuse or remove secret-looking environment variables before the server starts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping

from peakwatch.secrets.names import is_secret_env_name

SCRUB_FLAG = "--scrub-secret-env"
# Variables that say where the storage credentials are (a file), never hold them: the
# way peakwatch reaches object storage without a secret in its environment.
CREDENTIAL_LOCATIONS = frozenset(
    {
        "AWS_SHARED_CREDENTIALS_FILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "AZURE_FEDERATED_TOKEN_FILE",
    }
)
STORAGE_CREDENTIALS = (
    "Object storage credentials come from a shared credentials file or profile "
    "(AWS_SHARED_CREDENTIALS_FILE, AWS_PROFILE; GOOGLE_APPLICATION_CREDENTIALS for gs://), "
    "an instance or workload role, or anonymous access, never from the environment."
)


def find_secret_env(environ: Mapping[str, str]) -> list[str]:
    """Sorted names of secret-looking variables that hold a non-blank value.

    The names of CREDENTIAL_LOCATIONS hold the path of a file, not a secret: they pass."""
    return sorted(
        name
        for name, value in environ.items()
        if value.strip() and is_secret_env_name(name) and name not in CREDENTIAL_LOCATIONS
    )


def scrub_secret_env(environ: MutableMapping[str, str]) -> list[str]:
    """Remove the secret-looking variables from `environ`; return their sorted names."""
    names = find_secret_env(environ)
    for name in names:
        del environ[name]
    return names


def refusal_message(names: Iterable[str]) -> str:
    """Why peakwatch will not start, naming the variables (never their values) and the way out."""
    listed = ", ".join(sorted(names))
    unset = " ".join(f"-u {name}" for name in sorted(names))
    return (
        f"peakwatch will not start: secret-looking environment variables are set: {listed}. "
        "A watch-only dashboard never holds secrets. "
        f"Unset them (for example `env {unset} peakwatch ...`) "
        f"or start with {SCRUB_FLAG} to remove them from this process. "
        f"{STORAGE_CREDENTIALS}"
    )
