"""The client side of sync with the hub: HTTP, scheduling, backoff. No Qt."""
