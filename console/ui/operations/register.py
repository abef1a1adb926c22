"""Operations that set up a workstation: the first sync with a hub, or a register from a file."""

from console.ui.operations import Changes, CollectionOp

SET_UP = Changes(register=True, content=True, audit=True)


def connect_to_hub(parent, url: str, operator: str, password: str, success, enrolment_code: str = "") -> CollectionOp:
    """Enrol this machine on the hub with the code (when one is given), set the hub,
    sync with it for the first time (accounts, guidance, the register) and sign
    in; success(role). Stops between steps when its progress is told to."""
    def set_up(cache, progress):
        from console.sync.device import enrol
        from console.sync.engine import sync_cache
        from console.sync.tokens import hub_client

        if enrolment_code:
            enrol(url, enrolment_code)
        with hub_client(url, operator, cache.workstation, password) as client:
            cache.set_setting("hub_url", url)
            cache.operator = operator
            sync_cache(cache, client, progress=progress, should_stop=progress.stop.is_set)
        return cache.sign_in(operator, password)

    return CollectionOp(parent, set_up, SET_UP, success)


def import_from_file(parent, path: str, admin: str, password: str, success) -> CollectionOp:
    """The first admin account, then the register at path; success(role)."""
    def set_up(cache, progress):
        if cache.setup_mode:
            cache.add_operator(admin, "admin", password)
        cache.import_register(path, progress=progress)
        return cache.sign_in(admin, password)

    return CollectionOp(parent, set_up, SET_UP, success)
