"""Operations of the window itself: opening, signing in, the hub's published guidance."""

from console.ui.operations import Changes, CollectionOp, QueryOp


def opened(parent, success) -> QueryOp:
    """success(what the window starts with): setup mode, the hub, the workstation, the register and the
    window's settings, read before anyone signs in."""
    def read(cache):
        return dict(cache.window_settings(), setup_mode=cache.setup_mode, hub_url=cache.hub_url,
                    workstation=cache.workstation, register_version=cache.register_version)

    return QueryOp(parent, read, success)


def sign_in(parent, operator_id: str, password: str, success) -> CollectionOp:
    """success(role) once the password checks out; the sign-in is audited."""
    return CollectionOp(parent, lambda cache: cache.start_session(operator_id, password), Changes(audit=True),
                        success)


def unlock(parent, operator_id: str, password: str, success) -> QueryOp:
    """success(role) once the password of the operator who locked the console checks out."""
    return QueryOp(parent, lambda cache: cache.sign_in(operator_id, password), success)


def sign_out(parent, success) -> CollectionOp:
    """The operator leaves (a shift handover): audited, and nobody acts until the next sign-in."""
    return CollectionOp(parent, lambda cache: cache.end_session(), Changes(audit=True), success)


def synced_content(parent, success) -> QueryOp:
    """success(the guidance content the hub last published, or None)."""
    return QueryOp(parent, lambda cache: cache.synced_content(), success)


def synced_message(parent, success) -> QueryOp:
    """success(the live message as the last sync pulled it, or None)."""
    return QueryOp(parent, lambda cache: cache.synced_message(), success)
