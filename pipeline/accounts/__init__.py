"""Named accounts: add, disable, reset a password, list, and prove who someone is.

Passwords are argon2id hashes (argon2-cffi). Five wrong passwords in a row lock
an account for a while; every account change and every refused login is an
audit event. Accounts are disabled, never deleted, so the audit log's names
keep meaning someone.
"""

from pipeline.accounts.store import (
    LOCK_AFTER,
    LOCK_MINUTES,
    add_account,
    authenticate,
    get_account,
    has_accounts,
    list_accounts,
    reset_password,
    set_disabled,
)

__all__ = [
    "LOCK_AFTER",
    "LOCK_MINUTES",
    "add_account",
    "authenticate",
    "get_account",
    "has_accounts",
    "list_accounts",
    "reset_password",
    "set_disabled",
]
