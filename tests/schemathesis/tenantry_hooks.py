"""Schemathesis hooks for Tenantry's fuzz runs (tests/it/schemathesis.rs).

Generated `Idempotency-Key` values repeat across scenarios (the shortest valid key is
drawn again and again), and a repeated key with the same body rightly replays the first
answer, even when that resource has since been deleted. The stateful checks would then
read a replay as "created resource not found". Each valid key therefore gets a unique
suffix; invalid keys are left as drawn, so their refusal stays under test. Replays
themselves are tested by the integration tests.
"""

import itertools

import schemathesis

_calls = itertools.count()


def _valid(key):
    return isinstance(key, str) and 1 <= len(key) <= 240 and all("!" <= c <= "~" for c in key)


@schemathesis.hook
def map_headers(ctx, headers):
    if headers:
        for name in list(headers):
            if name.lower() == "idempotency-key" and _valid(headers[name]):
                headers[name] = f"{headers[name]}.{next(_calls)}"
    return headers
