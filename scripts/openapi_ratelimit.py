#!/usr/bin/env python3
"""Documents per-key rate limiting in docs/openapi.json: a reusable 429
response, optional RateLimit-* headers on 2xx responses of every limited
operation (x-rate-limit-tier 1 or 2), and the prose that said enforcement was
not part of the build. Idempotent; keeps json.dump(indent=2) + newline."""
import json, sys

PATH = sys.argv[1] if len(sys.argv) > 1 else 'docs/openapi.json'
with open(PATH) as f:
    doc = json.load(f)

comp = doc['components']
num = {'type': 'string', 'pattern': '^[0-9]+$'}
rl_desc = {
    'RateLimit-Limit': 'Requests per minute this API key may make in the operation\'s rate-limit tier '
                       '(sent on every response of a rate-limited operation once the key is authenticated).',
    'RateLimit-Remaining': 'Requests this API key may still make in this tier right now without being limited.',
    'RateLimit-Reset': 'Seconds until the key\'s budget for this tier is full again (0 when it is full).',
}
for name, desc in rl_desc.items():
    comp['headers'][name] = {'description': desc, 'schema': dict(num)}

def err_schema(code):
    return {'allOf': [{'$ref': '#/components/schemas/ErrorResponse'},
                      {'properties': {'errors': {'items': {'properties': {'code': {'enum': [code]}}}}}}]}

too_many = {
    'description': 'The API key has used up its budget for this rate-limit tier. Codes: `DP-429-RATE-LIMITED`.',
    'headers': {
        'X-Trace-Id': {'$ref': '#/components/headers/X-Trace-Id'},
        'Retry-After': {'description': 'Seconds until the next request of this tier will be allowed.',
                        'required': True, 'schema': {'type': 'string', 'pattern': '^[1-9][0-9]*$'}},
    },
    'content': {'application/json': {'schema': err_schema('DP-429-RATE-LIMITED')}},
}
for name, desc in rl_desc.items():
    too_many['headers'][name] = {'description': desc, 'required': True, 'schema': dict(num)}
comp['responses']['TooManyRequests'] = too_many

limited = 0
for p, item in doc['paths'].items():
    for m, op in item.items():
        if not isinstance(op, dict) or op.get('x-rate-limit-tier') not in (1, 2):
            continue
        limited += 1
        resp = op['responses']
        for code, r in resp.items():
            if code.startswith('2'):
                hdrs = r.setdefault('headers', {})
                for name in rl_desc:
                    hdrs[name] = {'$ref': f'#/components/headers/{name}'}
        if '429' not in resp:
            items = list(resp.items())
            at = next((i for i, (k, _) in enumerate(items) if k > '429'), len(items))
            items.insert(at, ('429', {'$ref': '#/components/responses/TooManyRequests'}))
            op['responses'] = dict(items)

def replace(s, old, new):
    if new in s:
        return s
    if old not in s:
        sys.exit(f'text not found: {old!r}')
    return s.replace(old, new)

info = doc['info']
info['description'] = replace(
    info['description'],
    '(1000 requests/minute per key), Tier 2 = writes and actions (100/minute). Operational endpoints have\n'
    '  no tier. Enforcement (429 `DP-429-RATE-LIMITED`) is not part of this build.',
    '(1000 requests/minute per key), Tier 2 = writes and actions (100/minute); `--rate-limit-tier1/2 N`\n'
    '  change them (`0` = unlimited). Operational endpoints have no tier. Each authenticated response of a\n'
    '  limited operation carries `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (seconds until\n'
    '  the budget is full again); over the limit the answer is 429 `DP-429-RATE-LIMITED` with `Retry-After`.')
info['description'] = replace(
    info['description'],
    'authentication (401) \u2192 path ids (400 `DP-400-INVALID-ID`)',
    'authentication (401) \u2192 rate limit (429) \u2192 path ids (400 `DP-400-INVALID-ID`)')
info['description'] = replace(
    info['description'],
    '413, 415 and 500 can answer any operation, 401 and 503 any authenticated one,',
    '413, 415 and 500 can answer any operation, 401, 429 and 503 any authenticated one,')
old_row = ('| `DP-429-RATE-LIMITED` | 429 | Reserved for per-key rate limits (Tier 1: 1000/min, Tier 2: 100/min). '
           'Not returned by this build. |')
new_text = ('The API key exceeded its per-minute budget for the operation\'s tier (defaults: Tier 1 reads '
            '1000/min, Tier 2 writes 100/min). Sent with `Retry-After` and the `RateLimit-*` headers.')
info['description'] = replace(info['description'], old_row, f'| `DP-429-RATE-LIMITED` | 429 | {new_text} |')
comp['schemas']['ErrorCode']['x-enum-descriptions']['DP-429-RATE-LIMITED'] = f'HTTP 429. {new_text}'

with open(PATH, 'w') as f:
    json.dump(doc, f, indent=2)
    f.write('\n')
print(f'{limited} rate-limited operations documented')
