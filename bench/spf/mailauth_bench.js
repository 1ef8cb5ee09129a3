// bench/spf/mailauth_bench.js — SPF evaluations per second through the npm package mailauth (its SPF API), the
// Node.js peer in bench/spf/run.sh.
//   node mailauth_bench.js SERVER:PORT QUERYFILE ROUNDS [--results]
// Same protocol as spf_bench.c: one untimed warm-up pass, then ROUNDS timed passes over the mix, one evaluation at
// a time. Node's resolver has no cache, libunbound and libspf2 do: so that every peer runs warm, answers (and
// errors) are memoised per (name, type) for the whole run — the fastest a cache can be.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { Resolver } = require('node:dns').promises;
const { spf } = require(path.join(process.env.MAILAUTH_DIR || path.join(__dirname, '..', '.node', 'node_modules'), 'mailauth', 'lib', 'spf'));

const [server, file, roundsArg, flag] = process.argv.slice(2);
if (!server || !file) {
    console.error('usage: node mailauth_bench.js SERVER:PORT QUERYFILE [ROUNDS] [--results]');
    process.exit(2);
}
const rounds = Number(roundsArg || 20);
const queries = fs.readFileSync(file, 'utf8').split('\n').map(l => l.trim()).filter(l => l && !l.startsWith('#'))
    .map(l => l.split(/\s+/));

const r = new Resolver({ timeout: 5000, tries: 1 });
r.setServers([server]);
const cache = new Map();
let asked = 0;
const resolve = (name, type) => {
    const key = `${type} ${name.toLowerCase()}`;
    asked++;
    let p = cache.get(key);
    if (!p) {
        p = r.resolve(name, type);
        p.catch(() => {}); // a rejection is handed to every caller; this only silences the unhandled warning
        cache.set(key, p);
    }
    return p;
};

const evaluate = async ([ip, sender]) => {
    const res = await spf({ sender, ip, helo: 'bench.invalid', mta: 'bench.invalid', resolver: resolve });
    return res.status.result;
};

(async () => {
    const first = [];
    for (const q of queries) first.push(await evaluate(q));
    const warmAsked = asked;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < rounds; i++) {
        for (let k = 0; k < queries.length; k++) {
            const got = await evaluate(queries[k]);
            if (got !== first[k]) {
                console.error(`mailauth: ${queries[k].join(' ')}: result changed (${first[k]} then ${got})`);
                process.exit(2);
            }
        }
    }
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    if (flag === '--results') queries.forEach((q, k) => console.log(`${q[0]} ${q[1]} ${first[k]}`));
    const evals = rounds * queries.length;
    console.log(`evaluations: ${evals} in ${dt.toFixed(3)} s`);
    console.log(`dns questions per pass: ${warmAsked}`);
    console.log(`evaluations/s: ${(evals / dt).toFixed(1)}`);
})().catch(e => {
    console.error(`mailauth: ${e.stack || e}`);
    process.exit(2);
});
