#!/usr/bin/env python3
"""Independent computation of the reputation scores of the epoch test
`Epochs.ParticipationReputationContentAndPruningAtEpochChange`, from the rules of
docs/formats/ledger-state.md §Reputation (Python integers, not this repository's code).

Seven nodes; every node reports every other node p with latency 10 + p ms, interactions 5 + p,
uptime 20 % for node 4 and 100 % for the others, bytes sent 1000 (p + 1). Nobody has a score
yet, min_num_measurements = 1, trust_weight_percent = 30, the genesis committee (pre-trusted)
is nodes 0-3. Prints the stored score, measured score and trust of each node."""

NODES = list(range(7))
PRE_TRUSTED = [0, 1, 2, 3]
BETA = 30
SCALE = 10**6
TRUST_SCALE = 10**9

reports = {}  # (target, reporter) -> measurements
for reporter in NODES:
    for peer in NODES:
        if peer != reporter:
            reports[(peer, reporter)] = {
                "latency": 10 + peer,
                "interactions": 5 + peer,
                "uptime": 20 if peer == 4 else 100,
                "sent": 1000 * (peer + 1),
            }

# Step 1: no node has a score, so every report weighs 15.
weight = {n: 15 for n in NODES}


def aggregate(samples, invert):
    """Steps 2-4: samples are (value, weight); returns the weighted value x 10^6."""
    if invert and len(samples) > 1:
        total = sum(w for _, w in samples)
        samples = [(v, total - w) for v, w in samples]
    if sum(w for _, w in samples) == 0:
        samples = [(v, 1) for v, _ in samples]
    n = len(samples)
    if n >= 2:
        total = sum(v for v, _ in samples)
        deviations = [n * v - total for v, _ in samples]
        squares = sum(d * d for d in deviations)
        if squares > 0:
            samples = [s for s, d in zip(samples, deviations) if d * d * (n - 1) < 9 * squares]
            if sum(w for _, w in samples) == 0:
                samples = [(v, 1) for v, _ in samples]
    return sum(v * w for v, w in samples) * SCALE // sum(w for _, w in samples)


metrics = ["latency", "interactions", "sent", "uptime"]
values = {}
for target in NODES:
    row = {}
    for metric in metrics:
        samples = [(m[metric], weight[r]) for (t, r), m in sorted(reports.items()) if t == target]
        row[metric] = aggregate(samples, metric == "latency")
    values[target] = row

# Step 5: min-max normalisation; uptime / 100.  Step 6: mean of the terms x 100.
measured = {}
uptime_percent = {}
for node in NODES:
    terms = []
    for metric in metrics:
        v = values[node][metric]
        if metric == "uptime":
            terms.append(min(v // 100, SCALE))
            uptime_percent[node] = min(100, v // SCALE)
            continue
        low = min(values[n][metric] for n in NODES)
        high = max(values[n][metric] for n in NODES)
        if low == high:
            continue
        term = (v - low) * SCALE // (high - low)
        terms.append(SCALE - term if metric == "latency" else term)
    measured[node] = min(100, sum(terms) * 100 // (len(terms) * SCALE)) if len(terms) >= 3 else None

# Step 7: EigenTrust, ten iterations, 10^-9 units, per-edge truncation.
p = {n: 0 for n in NODES}
for i, n in enumerate(PRE_TRUSTED):
    p[n] = TRUST_SCALE // len(PRE_TRUSTED) + (1 if i < TRUST_SCALE % len(PRE_TRUSTED) else 0)
rows = {i: [(j, reports[(j, i)]["interactions"]) for j in NODES if j != i] for i in NODES}
t = dict(p)
for _ in range(10):
    nxt = {n: 0 for n in NODES}
    dangling = 0
    for i in NODES:
        row = [(j, max(v, 0)) for j, v in rows[i] if v > 0]
        if not row:
            dangling += t[i]
            continue
        total = sum(v for _, v in row)
        for j, v in row:
            nxt[j] += t[i] * v // total
    for j in NODES:
        mixed = nxt[j] + dangling * p[j] // TRUST_SCALE
        nxt[j] = mixed * 85 // 100 + p[j] * 15 // 100
    t = nxt
trust_score = {n: min(100, t[n] * len(NODES) * 50 // TRUST_SCALE) for n in NODES}

# Step 8: combine with beta, then blend with the old score (the default, 15).
for node in NODES:
    fresh = ((measured[node] or 0) * (100 - BETA) + trust_score[node] * BETA) // 100
    stored = min(100, (7 * 15 + 3 * fresh) // 10)
    print(f"node {node}: score {stored}, measured {measured[node]}, trust {t[node]}, trust score {trust_score[node]}, "
          f"uptime {uptime_percent[node]}")
