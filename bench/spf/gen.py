#!/usr/bin/env python3
# bench/spf/gen.py — write the SPF benchmark's zone and query mix (deterministic: same seed, same files).
#   gen.py OUTDIR [DOMAINS]   -> OUTDIR/test.zone (origin test.), OUTDIR/queries.txt ("IP SENDER" per line)
# The zone looks like real mail: a handful of providers publishing _spf include chains of ip4/ip6 ranges (one of them
# nested three deep, as large providers do), and customer domains mixing mx, a, ip4, include and redirect= with
# -all, ~all or ?all. The mix asks, for every domain, once from an address its policy allows (found at different
# depths: own mx/a, a direct include, a nested include) and once from one it does not (every term is evaluated).
import random
import sys

out = sys.argv[1]
ndomains = int(sys.argv[2]) if len(sys.argv) > 2 else 200
rnd = random.Random(7208)

z = ['@ SOA ns.test. hostmaster.test. 1 3600 600 86400 300', '@ NS ns.test.', 'ns A 127.0.0.1']

# Providers: name -> list of IPv4 /24 prefixes they send from.
providers = {}
def net(i):
    return f'10.{i // 256}.{i % 256}'
n = 0
for p in ['mailhost', 'relaycorp', 'sendco', 'bulkmail', 'crmsend']:
    nets = [net(n + k) for k in range(4)]
    n += 4
    providers[p] = nets
    terms = ' '.join(f'ip4:{x}.0/24' for x in nets)
    z.append(f'_spf.{p} TXT "v=spf1 {terms} ip6:2001:db8:{n:x}::/48 ~all"')
# A large provider: include chain three deep (spf.bigmail -> _netblocks1..3 -> ranges).
big = []
for k in range(1, 4):
    nets = [net(n + j) for j in range(6)]
    n += 6
    big += nets
    z.append(f'_netblocks{k}.bigmail TXT "v=spf1 ' + ' '.join(f'ip4:{x}.0/24' for x in nets) + ' ~all"')
z.append('spf.bigmail TXT "v=spf1 include:_netblocks1.bigmail.test include:_netblocks2.bigmail.test '
         'include:_netblocks3.bigmail.test ~all"')
providers['bigmail'] = big
incl = {p: (f'spf.{p}.test' if p == 'bigmail' else f'_spf.{p}.test') for p in providers}

queries = []
policies = {}  # redirect target -> its providers
for d in range(ndomains):
    name = f'd{d}'
    own = f'192.168.{d // 200}.{d % 200 + 1}'  # the domain's own mail server (its MX and A)
    z.append(f'{name} MX 10 mx1.{name}.test.')
    z.append(f'mx1.{name} A {own}')
    z.append(f'{name} A {own}')
    chosen = rnd.sample(sorted(providers), rnd.randint(1, 3))
    all_q = rnd.choice(['-all', '-all', '~all', '?all'])
    kind = d % 4
    if kind == 0:    # mx + includes
        rec = 'v=spf1 mx ' + ' '.join(f'include:{incl[p]}' for p in chosen) + f' {all_q}'
    elif kind == 1:  # ip4 ranges + includes
        rec = f'v=spf1 ip4:172.16.{d % 256}.0/24 ip4:{own}/32 ' + ' '.join(f'include:{incl[p]}' for p in chosen) + f' {all_q}'
    elif kind == 2:  # a + mx/24 + includes
        rec = 'v=spf1 a mx/24 ' + ' '.join(f'include:{incl[p]}' for p in chosen) + f' {all_q}'
    else:            # redirect to a shared company policy
        base = f'policy{d % 10}'
        if base not in policies:
            policies[base] = chosen
            z.append(f'{base} TXT "v=spf1 mx:{name}.test ' + ' '.join(f'include:{incl[p]}' for p in chosen) + ' -all"')
        chosen = policies[base]
        rec = f'v=spf1 redirect={base}.test'
    z.append(f'{name} TXT "{rec}"')
    # One allowed and one unlisted sender address per domain.
    p = chosen[0]
    ip = f'{rnd.choice(providers[p])}.{rnd.randint(1, 254)}'
    queries.append((ip if kind == 3 else rnd.choice([ip, own]), f'user{d}@{name}.test'))
    queries.append((f'203.0.113.{rnd.randint(1, 254)}', f'bounce@{name}.test'))
# Domains with no SPF record and a missing domain: 'none' results.
for d in range(ndomains // 20):
    z.append(f'nospf{d} MX 10 mx1.d0.test.')
    queries.append(('198.51.100.7', f'info@nospf{d}.test'))

with open(f'{out}/test.zone', 'w') as f:
    f.write('\n'.join(z) + '\n')
with open(f'{out}/queries.txt', 'w') as f:
    f.write('\n'.join(f'{ip} {s}' for ip, s in queries) + '\n')
