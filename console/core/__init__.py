"""Pure-Python helpline rules: identity keys, the verification policy, guidance, call records.

Nothing here imports Qt, opens a database or touches the network.
"""
