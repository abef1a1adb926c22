"""Demo mode: a generated register in a temporary cache, callers that really
verify, and nothing left behind."""

import re

from console.core.policy import CallerClaim
from console.core.timeutil import parse_day


def test_demo_callers_verify_and_discard_leaves_nothing(memory_keyring):
    from console.demo import prepare_demo
    from console.store.cache import Cache

    demo = prepare_demo(1500)
    assert len(demo.callers) == 3
    cache = Cache.open(demo.cache_path)
    cache.sign_in("demo-operator", demo.password)  # the demo's own account, its password printed at launch
    outcomes = []
    for caller in demo.callers:
        claim = CallerClaim(caller.family_name, caller.given_name, parse_day(caller.date_of_birth),
                            nhi=caller.nhi, phone=caller.phone, code=caller.code)
        outcomes.append(cache.verify_caller(claim).as_json())
    cache.close()
    assert [o["outcome"] for o in outcomes] == ["verified"] * 3
    assert [o["assurance"] for o in outcomes] == ["possession", "knowledge", "possession"]
    assert [o["affected_status"] for o in outcomes] == ["affected", "affected", "not_affected"]
    assert re.search(r"check-caller .*--code", demo.instructions())
    demo.discard()
    assert not demo.folder.exists() and memory_keyring.secrets == {}
