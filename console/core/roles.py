"""Roles and what each may do. Cumulative: admin ⊇ supervisor ⊇ operator.

Operators verify callers and log calls; supervisors also search the
register, read the audit, unlock persons, see statistics and the
dashboard, take up escalations and export;
admins also manage operators, settings and import registers.
"""

ROLES = ("operator", "supervisor", "admin")

# every guarded operation and the least role that may do it
PERMISSIONS = {
    "verify_caller": "operator",
    "log_calls": "operator",
    "book_callback": "operator",
    "complete_callback": "operator",
    "list_callbacks": "operator",
    "call_history": "operator",
    "sync": "operator",
    "search": "supervisor",
    "read_audit": "supervisor",
    "unlock": "supervisor",
    "stats": "supervisor",
    "export": "supervisor",
    "assign_callback": "supervisor",
    "dashboard": "supervisor",
    "acknowledge_escalation": "supervisor",
    "manage_operators": "admin",
    "import_register": "admin",
    "change_settings": "admin",
}


class NotPermitted(PermissionError):
    """The signed-in operator's role does not allow this; the message says so."""


def role_allows(role: str | None, operation: str) -> bool:
    needed = PERMISSIONS[operation]
    return role in ROLES and ROLES.index(role) >= ROLES.index(needed)


def require(role: str | None, operation: str, who: str | None = None) -> None:
    if not role_allows(role, operation):
        needed = PERMISSIONS[operation]
        acting = f"{who} ({role})" if who and role else (who or "nobody is signed in")
        raise NotPermitted(
            f"Only a{'n' if needed[0] in 'aeiou' else ''} {needed} or above may {operation.replace('_', ' ')}; "
            f"{acting} may not. Sign in with an account that has that role."
        )
