// Tuning of a consensus node. Timeouts only affect liveness and latency, never safety.
#pragma once

#include "consensus/types.h"

namespace fleek::consensus {

struct Parameters {
    // Worker: seal a batch at this many payload bytes, or this long after its first transaction.
    uint32_t batch_size_bytes = 500'000;
    TimeUs max_batch_delay_us = 100'000;
    // Sealed batches waiting for acknowledgements or for a header; submissions are refused
    // (back-pressure) while this many are outstanding.
    uint32_t max_pending_batches = 64;
    TimeUs batch_resend_us = 1'000'000;

    // Proposer: propose round r+1 once round r has a quorum of certificates and either
    // max_header_delay has passed since the last proposal, or min_header_delay has passed, at
    // least header_batches_threshold batch digests are queued and Bullshark is ready.
    uint32_t header_batches_threshold = 1;
    uint32_t max_header_batches = 256;
    TimeUs min_header_delay_us = 50'000;
    TimeUs max_header_delay_us = 500'000;
    TimeUs header_resend_us = 1'000'000;  // re-send the current header to authorities that did not vote

    // Synchronization: ask another peer for missing certificates or batches after sync_retry;
    // ask a random peer for everything above our GC round when nothing arrived for sync_interval.
    TimeUs sync_retry_us = 1'000'000;
    TimeUs sync_interval_us = 2'000'000;
    uint32_t max_certificates_per_response = 256;
    // Bytes of one CertificatesResponse: what a node asks for in its range requests and the most
    // it serves; a response larger than this is refused unread.
    uint32_t max_certificate_response_bytes = 4 * 1024 * 1024;
    uint32_t max_batch_response_bytes = 8 * 1024 * 1024;

    // Garbage collection: rounds at or below (last committed leader round - gc_depth) are dropped.
    Round gc_depth = 50;
    // Header timestamps: a header whose created_at_ms is ahead of our clock waits until our clock
    // reaches it before we vote, and one more than this far ahead gets no vote at all.
    uint64_t max_header_time_drift_ms = 1'000;
    // Headers, votes and certificates more than this many rounds above our highest round are dropped.
    Round max_round_ahead = 1000;

    // Bounds of the waiting rooms (headers waiting for parents or batches, certificates waiting
    // for parents, outstanding fetches); beyond them new entries are dropped and re-fetched later.
    // Each authority (the author of a parked header, the peer that sent a suspended certificate or
    // whose message caused a fetch) gets at most its share, max(1, bound / committee size), so no
    // single peer can fill a room.
    uint32_t max_pending_headers = 64;
    uint32_t max_suspended_certificates = 2048;
    uint32_t max_outstanding_fetches = 4096;
};

// Deliberately injected bugs, for the tests that show the simulator's checkers catch them.
// All off in production; nothing but tests sets them.
struct TestHooks {
    bool vote_without_guard = false;       // vote for every valid header, even a second one at a round
    bool skip_vote_persistence = false;    // votes are not persisted (equivocation after a restart)
    int commit_support_offset = 0;         // Bullshark commits at validity + offset (off by one: -1)
    bool linearize_parents_only = false;   // a sub-DAG holds the leader and its parents only
    bool linearize_by_arrival = false;     // order a sub-DAG by arrival instead of (round, author)
    bool forget_committed = false;         // do not remember what was committed
    bool skip_certificate_signature_check = false;
    bool skip_payload_check = false;       // vote without having the batches
    bool restart_forgets_commits = false;     // a restart does not reload which certificates were committed
    bool replay_output_from_start = false;    // restarts emit output from index 0 again
    bool wrong_leader_schedule = false;       // use leader(round + 2)
    bool never_propose = false;
    bool trust_header_timestamps = false;     // no time checks on headers; commit time = newest leader time
    bool accept_any_epoch = false;            // certificates in responses are not checked for the epoch
    bool unsynced_own_certificate = false;    // an own certificate is broadcast before it is durable
};

}  // namespace fleek::consensus
