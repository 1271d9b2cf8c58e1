// One committee member's consensus instance for one epoch: a Narwhal worker (batches), a
// Narwhal primary (headers, votes, certificates, DAG, synchronization, GC), Bullshark ordering and
// the output stage that resolves committed sub-DAGs into ordered transactions.
//
// Sans-IO: the host owns the clock, the network, the threads and the disk.
//   - every input is a call: on_message(from, plane, bytes, now), on_tick(now),
//     submit_transaction(tx, now); `now` is the local clock in microseconds;
//   - after each call the host takes what the node wants to send (take_outbound) and the
//     committed output (take_output), and calls on_tick again no later than next_wakeup();
//   - storage is the injected Store; randomness is the seed given at construction.
// Anything that must be durable before a message leaves (the last proposed header, every vote)
// is written with sync=true inside the call, and messages are only handed out after the call
// returns, so "durable before sent" holds whatever the host does.
//
// Restart: construct a new Node over the same Store. It resumes from what is stored: it never
// signs a second header for a round it proposed or a second vote for an (author, round) it voted
// on, and it continues the commit sequence without committing anything twice or skipping.
#pragma once

#include "consensus/bullshark.h"
#include "consensus/parameters.h"
#include "consensus/rng.h"
#include "consensus/signature.h"
#include "consensus/store.h"
#include "consensus/types.h"

#include <bitset>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>

namespace fleek::consensus {

struct Outbound {
    AuthorityIndex to = 0;
    Plane plane = Plane::primary;
    Bytes bytes;
};

struct OrderedTransaction {
    uint64_t sequence = 0;  // global, gap-free, from 0 in each epoch
    Bytes bytes;
};

// A committed sub-DAG with its batches resolved: what the ledger executes, in index order.
struct CommittedOutput {
    uint64_t sub_dag_index = 0;
    Round leader_round = 0;
    Digest leader{};
    uint64_t timestamp_ms = 0;
    std::vector<Digest> certificates;  // in commit order
    std::vector<Digest> batches;       // in commit order
    std::vector<OrderedTransaction> transactions;
};

// Proof that an authority signed two different headers for one round: two signed header
// statements as the ledger's Slash transaction takes them (ledger::check_equivocation accepts
// them under committee.member(author).consensus_key). `first` is the header this node saw (and
// voted for) first.
struct EquivocationEvidence {
    AuthorityIndex author = 0;
    ledger::SignedStatement first;
    ledger::SignedStatement second;
    friend bool operator==(const EquivocationEvidence&, const EquivocationEvidence&) = default;
};

// Optional observation points for the simulator's checkers and the benchmark. Called
// synchronously from inside the node's calls; must not call back into the node.
class NodeObserver {
public:
    virtual ~NodeObserver() = default;
    virtual void on_header_proposed(const Header&, const Digest&, TimeUs) {}
    virtual void on_vote_signed(const Vote&) {}
    virtual void on_certificate_accepted(const CertificatePtr&) {}
    virtual void on_batch_sealed(const Digest&, const Batch&, TimeUs) {}
    virtual void on_committed(const CommittedSubDag&, TimeUs) {}
};

enum class SubmitError : uint8_t { too_large, busy, halted };
std::string_view to_string(SubmitError error) noexcept;

struct NodeStats {
    uint64_t messages_in = 0;
    uint64_t malformed = 0;          // did not decode, wrong plane, wrong epoch or sender
    uint64_t rejected = 0;           // decoded but invalid (bad signature, bad structure, ...)
    uint64_t bad_signatures = 0;
    uint64_t too_old = 0;
    uint64_t too_far_ahead = 0;
    uint64_t equivocations_refused = 0;  // second header of an (author, round): no vote
    uint64_t headers_proposed = 0;
    uint64_t votes_sent = 0;
    uint64_t certificates_formed = 0;
    uint64_t certificates_accepted = 0;
    uint64_t batches_sealed = 0;
    uint64_t sub_dags_committed = 0;
    uint64_t outputs_emitted = 0;
    uint64_t dropped_pending = 0;  // waiting-room overflows (global bound or the peer's share)
    uint64_t range_requests = 0;
    uint64_t signature_checks = 0;        // signature and aggregate-signature verifications done
    uint64_t wrong_epoch = 0;             // a header, vote or certificate of another epoch (inside a message)
    uint64_t unsolicited = 0;             // responses, or certificates in them, nobody asked that peer for
    uint64_t oversized_responses = 0;     // responses with more certificates or bytes than asked: refused whole
    uint64_t future_headers = 0;          // headers more than max_header_time_drift_ms ahead of our clock
    uint64_t stale_timestamps = 0;        // headers older than their author's previous header
    uint64_t range_requests_refused = 0;  // a peer asked for a range again too soon: not served
    uint64_t evidence_emitted = 0;        // equivocation evidence handed out
    uint64_t evidence_dropped = 0;        // equivocation evidence beyond the queue bound
};

class Node {
public:
    struct Options {
        Parameters parameters;
        TestHooks hooks;
        uint64_t rng_seed = 0;
        // The consumer's next expected sub-DAG index: output below it is not emitted again.
        std::optional<uint64_t> next_output_index;
        NodeObserver* observer = nullptr;
    };

    Node(Committee committee, AuthorityIndex me, std::shared_ptr<const SignatureScheme> signer, Store& store,
         Options options, TimeUs now);
    Node(const Node&) = delete;
    Node& operator=(const Node&) = delete;

    void on_message(AuthorityIndex from, Plane plane, ByteSpan bytes, TimeUs now);
    void on_tick(TimeUs now);
    Result<void, SubmitError> submit_transaction(Bytes transaction, TimeUs now);

    // The latest time by which the host should call on_tick.
    TimeUs next_wakeup() const;
    std::vector<Outbound> take_outbound() { return std::exchange(m_outbound, {}); }
    std::vector<CommittedOutput> take_output();
    // Equivocation evidence seen since the last call: at most one per (author, round) per
    // instance, at most evidence_queue_max waiting (more is dropped and counted). Nothing here has
    // been checked by the ledger's rules yet, but both statements were verified under the author's
    // key before they were kept.
    std::vector<EquivocationEvidence> take_equivocation_evidence() { return std::exchange(m_evidence, {}); }
    static constexpr size_t evidence_queue_max = 64;

    // A storage write failed: the node stopped (nothing more is sent or committed) and must be
    // restarted over a healthy store.
    bool halted() const noexcept { return m_halted; }
    const NodeStats& stats() const noexcept { return m_stats; }
    AuthorityIndex index() const noexcept { return m_me; }
    const Committee& committee() const noexcept { return m_committee; }
    Round round() const noexcept { return m_round; }
    Round gc_round() const noexcept { return m_bullshark.gc_round(); }
    Round highest_round() const noexcept { return m_dag.empty() ? 0 : m_dag.rbegin()->first; }
    Round last_committed_round() const noexcept { return m_bullshark.state().last_leader_round; }
    uint64_t committed_sub_dags() const noexcept { return m_bullshark.state().next_index; }
    uint64_t next_output_index() const noexcept { return m_next_resolve; }
    size_t dag_size() const noexcept { return m_certs.size(); }
    size_t pending_headers() const noexcept { return m_pending_headers.size(); }
    size_t suspended_certificates() const noexcept { return m_suspended.size(); }
    size_t outstanding_fetches() const noexcept { return m_cert_fetches.size() + m_batch_fetches.size(); }
    size_t queued_batches() const noexcept { return m_queued.size(); }
    // Per-authority use of the waiting rooms (see Parameters).
    size_t pending_headers_of(AuthorityIndex author) const;
    size_t fetches_owned_by(AuthorityIndex peer) const;
    size_t suspended_from(AuthorityIndex peer) const { return peer < m_suspended_by_peer.size() ? m_suspended_by_peer[peer] : 0; }
    // Unsolicited responses (or certificates in them) refused, per sending peer.
    uint64_t unsolicited_from(AuthorityIndex peer) const {
        return peer < m_unsolicited_by_peer.size() ? m_unsolicited_by_peer[peer] : 0;
    }
    // Has the certificate of (round, author), if it is above the GC round.
    CertificatePtr certificate_at(Round round, AuthorityIndex author) const;

private:
    // ---- shared
    void recover();
    void send(AuthorityIndex to, Plane plane, const Message& message);
    void send_bytes(AuthorityIndex to, Plane plane, const Bytes& bytes);
    void broadcast(Plane plane, const Message& message);
    bool write(const WriteBatch& batch, bool sync);
    std::optional<Bytes> read(Table table, ByteSpan key);
    AuthorityIndex random_peer();
    void after_event();

    // ---- worker (worker.cpp)
    void seal_batch();
    void on_batch(AuthorityIndex from, ByteSpan encoding, size_t payload_bytes, size_t transactions);
    void on_batch_ack(AuthorityIndex from, const BatchAck& ack);
    void on_batch_request(AuthorityIndex from, const BatchRequest& request);
    void on_batch_response(AuthorityIndex from, BatchResponse response);
    bool store_batch(const Digest& digest, ByteSpan encoding, bool own);
    void remember_batch(const Digest& digest);
    bool has_batch(const PayloadEntry& entry);
    // Registers batches to fetch from `preferred`, then from random peers. Without `now` the first
    // request waits sync_retry: a batch a fresh header names is usually still in flight, and
    // asking at once would double the bulk traffic under load. Committed batches are asked now
    // and are outside the per-peer budget (their certificates were certified by a quorum);
    // a header's batches count against its author's share.
    void fetch_batches(const std::vector<Digest>& digests, AuthorityIndex preferred, bool for_header, bool now);
    // Missing batches of the next few committed sub-DAGs, fetched together (catch-up).
    void prefetch_outputs(uint64_t from_index);
    void worker_tick();

    // ---- primary (primary.cpp)
    void on_header(AuthorityIndex from, Header header);
    void process_header(AuthorityIndex from, const Header& header, const Digest& digest);
    bool header_time_acceptable(const Header& header);
    // Keeps evidence that `second` and the header (author, round, first) both carry the author's
    // signature; both signatures were verified before.
    void report_equivocation(Round round, const Digest& first, const SignatureBytes& first_signature,
                             const Header& second, const Digest& second_digest);
    void retry_pending_headers();
    void vote_for(const Header& header, const Digest& digest);
    void on_vote(AuthorityIndex from, const Vote& vote);
    void form_certificate();
    void on_certificate(AuthorityIndex from, const CertificatePtr& vertex);
    bool validate_header_structure(const Header& header);
    bool verify_certificate(const CertificatePtr& vertex);
    bool verify_signature(AuthorityIndex signer, const ledger::ConsensusStatement& statement, const SignatureBytes& signature);
    void accept_certificate(const CertificatePtr& vertex);
    void insert_certificate(const CertificatePtr& vertex);
    // ---- synchronization (sync.cpp)
    // A certificate of the DAG in memory, else of the store (pruned rounds included).
    std::optional<Certificate> known_certificate(const Digest& digest);
    void on_certificates_request(AuthorityIndex from, const CertificatesRequest& request);
    void on_range_request(AuthorityIndex from, const CertificateRangeRequest& request);
    void on_certificates_response(AuthorityIndex from, CertificatesResponse response, size_t bytes);
    // Fetches certificates from `from`; `owner` is the peer whose message needs them (budget).
    void fetch_certificates(const std::vector<Digest>& digests, AuthorityIndex from, AuthorityIndex owner);
    void send_range_request(AuthorityIndex to);
    void retry_certificate_fetches();
    void range_sync_tick();
    void unsolicited(AuthorityIndex from, uint64_t count);
    size_t share_of(uint32_t bound) const;
    void primary_tick();
    void try_propose();
    bool leader_ready(Round parents_round) const;
    Round quorum_round() const;
    void propose(Round round);
    void requeue(const std::vector<Digest>& digests);
    void on_committed(const std::vector<CommittedSubDag>& sub_dags);
    void collect_garbage();
    bool round_acceptable(Round round);

    // ---- output (node.cpp)
    void resolve_outputs();

    Committee m_committee;
    AuthorityIndex m_me;
    std::shared_ptr<const SignatureScheme> m_signer;
    Store& m_store;
    Parameters m_params;
    TestHooks m_hooks;
    Rng m_rng;
    NodeObserver* m_observer;
    TimeUs m_now;
    bool m_halted = false;
    NodeStats m_stats;
    std::vector<Outbound> m_outbound;
    std::deque<CommittedOutput> m_output;

    // worker
    Batch m_building;
    size_t m_building_bytes = 0;
    TimeUs m_building_since = 0;
    struct AwaitingAcks {
        Bytes message;
        std::set<AuthorityIndex> acks;
        TimeUs last_sent = 0;
    };
    std::map<Digest, AwaitingAcks> m_awaiting_acks;
    using PeerSet = std::bitset<committee_size_max>;
    struct BatchFetch {
        AuthorityIndex preferred = 0;
        TimeUs last_request = 0;
        uint32_t attempts = 0;
        bool budgeted = false;  // counted in m_batch_fetches_by_owner[preferred]
        PeerSet asked;          // peers a request went to: only their responses are read
    };
    std::map<Digest, BatchFetch> m_batch_fetches;
    std::vector<uint32_t> m_batch_fetches_by_owner;  // budgeted (header) fetches per author
    void erase_batch_fetch(std::map<Digest, BatchFetch>::iterator it);
    // Recently stored batch digests, so availability checks rarely reach the store (bounded).
    std::set<Digest> m_known_batches;
    std::deque<Digest> m_known_order;

    // primary: the DAG above the GC round
    std::vector<CertificatePtr> m_genesis;
    std::map<Round, std::map<AuthorityIndex, CertificatePtr>> m_dag;
    std::map<Digest, CertificatePtr> m_certs;
    struct LastVote {
        Round round = 0;
        Digest header{};
        uint64_t created_at_ms = 0;
        std::optional<SignatureBytes> signature;  // the header's, for equivocation evidence
    };
    std::map<AuthorityIndex, LastVote> m_last_votes;
    std::set<Digest> m_verified_headers;
    // proposer
    Round m_round = 0;  // round of our last proposed header
    std::optional<Header> m_header;
    Digest m_header_digest{};
    bool m_header_certified = false;
    TimeUs m_last_proposal = 0;
    TimeUs m_header_sent = 0;
    std::map<AuthorityIndex, SignatureBytes> m_votes;
    std::set<AuthorityIndex> m_bad_voters;
    std::deque<Digest> m_queued;                       // own batches waiting for a header
    std::map<Round, std::vector<Digest>> m_own_proposed;  // own headers' payloads not yet committed
    // waiting rooms
    struct PendingHeader {
        Header header;
        AuthorityIndex from = 0;
        TimeUs since = 0;
        TimeUs refetch_at = 0;  // next time what it waits for and is not being fetched is asked again
    };
    // Earliest time (our clock) at which a parked header's created_at_ms is no longer ahead of us.
    TimeUs earliest_pending_time() const;
    std::map<Digest, PendingHeader> m_pending_headers;
    struct Suspended {
        CertificatePtr certificate;
        AuthorityIndex from = 0;
    };
    std::map<Digest, Suspended> m_suspended;
    std::vector<uint32_t> m_suspended_by_peer;
    void erase_suspended(std::map<Digest, Suspended>::iterator& it);
    struct CertificateFetch {
        AuthorityIndex from = 0;
        TimeUs last_request = 0;
        uint32_t attempts = 0;
        AuthorityIndex owner = 0;  // whose message needs it (budget)
        PeerSet asked;
    };
    std::map<Digest, CertificateFetch> m_cert_fetches;
    std::vector<uint32_t> m_cert_fetches_by_owner;
    void erase_cert_fetch(std::map<Digest, CertificateFetch>::iterator it);
    // Range requests we sent, by peer (one outstanding each): its response may hold this many
    // certificates of rounds >= from_round.
    struct RangeSent {
        TimeUs sent = 0;
        Round from_round = 0;
        uint32_t max_certificates = 0;
    };
    std::map<AuthorityIndex, RangeSent> m_range_sent;
    std::vector<std::optional<TimeUs>> m_range_served;  // when we last served each peer a range
    std::vector<uint64_t> m_unsolicited_by_peer;
    // equivocation evidence
    std::vector<EquivocationEvidence> m_evidence;
    std::set<std::pair<Round, AuthorityIndex>> m_evidence_reported;  // (round, author)
    // sync
    TimeUs m_last_progress = 0;
    TimeUs m_last_range_request = 0;
    std::vector<Round> m_peer_rounds;

    // consensus and output
    Bullshark m_bullshark;
    uint64_t m_next_resolve = 0;   // next sub-DAG index to resolve and emit
    uint64_t m_next_sequence = 0;  // sequence of the next emitted transaction
    uint64_t m_suppress_below = 0;  // the consumer already has these indices
    uint64_t m_prefetched_until = 0;  // sub-DAG indices below this had their batches requested
};

}  // namespace fleek::consensus
