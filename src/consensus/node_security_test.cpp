// The node against hostile peers (project issue 15): certificates of another epoch, header
// timestamps, per-peer budgets of responses, waiting rooms and fetches, bounded serving, and the
// equivocation evidence it hands out.
#include "consensus/node.h"
#include "consensus/node_test_support.h"
#include "ledger/consensus_statement.h"

#include <gtest/gtest.h>

namespace fleek::consensus {
namespace {

using namespace testing;

Node::Options options_with(Parameters p) {
    Node::Options options;
    options.parameters = p;
    options.rng_seed = 7;
    return options;
}

struct Single {
    explicit Single(Parameters p = fast_parameters(), uint64_t epoch = 1)
        : parameters(p),
          committee(committee_of(4, epoch)),
          node(committee, 0, make_test_scheme(committee, 0), store, options_with(p), now) {
        own_header = sent_of<Header>(node.take_outbound()).at(0).second;  // it proposes round 1 at once
    }
    void deliver(AuthorityIndex from, const Message& message) { node.on_message(from, plane_of(message), encode_message(message), now); }
    // Makes the node send a range request (nothing arrived for a sync interval) and returns its target.
    AuthorityIndex range_request() {
        now += node_parameters().sync_interval_us;
        node.on_tick(now);
        auto requests = sent_of<CertificateRangeRequest>(node.take_outbound());
        FLEEK_ASSERT(requests.size() == 1);
        return requests[0].first;
    }
    const Parameters& node_parameters() const { return parameters; }
    TimeUs now = 1'000'000;  // 1000 ms
    Parameters parameters;
    Committee committee;
    MemoryStore store;
    Node node;
    Header own_header;
};

std::vector<Certificate> round_one_certificates(const Committee& committee, uint64_t created_at_ms) {
    std::vector<Certificate> out;
    for (AuthorityIndex a = 1; a < 4; ++a) {
        out.push_back(certify(committee, signed_header(committee, 1, a, genesis_digests(committee), created_at_ms), {1, 2, 3}));
    }
    return out;
}

// ---- 1. epochs ---------------------------------------------------------------------------------------

TEST(NodeSecurity, CertificateOfAnotherEpochInAResponseIsRefusedAndTheRealOneAccepted) {
    Single s(fast_parameters(), 2);
    const Committee previous = committee_of(4, 1);  // the same members one epoch earlier
    const Header real_header = signed_header(s.committee, 1, 1, genesis_digests(s.committee), 1000);
    const Certificate real = certify(s.committee, real_header, {1, 2, 3});
    // A genuine certificate of epoch 1 for the same (author, round): valid under epoch 1's statement.
    const Certificate replay = certify(previous, signed_header(previous, 1, 1, genesis_digests(previous), 1000), {1, 2, 3});
    ASSERT_TRUE(make_test_scheme(previous, std::nullopt)
                    ->verify_aggregate(std::vector<AuthorityIndex>{1, 2, 3},
                                       vote_statement(previous, 1, 1, 1, replay.header.digest()), replay.aggregate_signature));
    // The node asked a peer for a range; the peer answers with the replay inside an epoch-2 response.
    const AuthorityIndex peer = s.range_request();
    const uint64_t checks = s.node.stats().signature_checks;
    s.deliver(peer, CertificatesResponse{2, {replay}});
    EXPECT_EQ(s.node.stats().wrong_epoch, 1u);
    EXPECT_EQ(s.node.certificate_at(1, 1), nullptr);
    EXPECT_EQ(s.node.stats().signature_checks, checks);  // refused before its signature was checked
    // The real certificate, broadcast by its author, is accepted.
    s.deliver(1, real);
    ASSERT_NE(s.node.certificate_at(1, 1), nullptr);
    EXPECT_EQ(s.node.certificate_at(1, 1)->digest, real_header.digest());
}

// ---- 2. header timestamps ----------------------------------------------------------------------------

TEST(NodeSecurity, HeaderFromTheFutureIsNotVotedFor) {
    Single s;
    const uint64_t now_ms = s.now / 1000;
    // 5 s ahead (bound 1 s): refused.
    s.deliver(1, signed_header(s.committee, 1, 1, genesis_digests(s.committee), now_ms + 5'000));
    EXPECT_TRUE(sent_of<Vote>(s.node.take_outbound()).empty());
    EXPECT_EQ(s.node.stats().future_headers, 1u);
    EXPECT_EQ(s.node.pending_headers(), 0u);
    // 500 ms ahead: no vote until our clock reaches it.
    const Header soon = signed_header(s.committee, 1, 2, genesis_digests(s.committee), now_ms + 500);
    s.deliver(2, soon);
    EXPECT_TRUE(sent_of<Vote>(s.node.take_outbound()).empty());
    EXPECT_EQ(s.node.pending_headers(), 1u);
    EXPECT_LE(s.node.next_wakeup(), (now_ms + 500) * 1000);
    s.node.on_tick((now_ms + 499) * 1000);
    EXPECT_TRUE(sent_of<Vote>(s.node.take_outbound()).empty());
    s.node.on_tick((now_ms + 500) * 1000);
    const auto votes = sent_of<Vote>(s.node.take_outbound());
    ASSERT_EQ(votes.size(), 1u);
    EXPECT_EQ(votes[0].first, 2);
    EXPECT_EQ(votes[0].second.header, soon.digest());
    EXPECT_EQ(s.node.stats().votes_sent, 1u);
}

TEST(NodeSecurity, HeaderOlderThanItsAuthorsPreviousIsRefused) {
    Single s;
    // Round 1: we vote for author 1's header (900 ms); all round-1 certificates arrive, ours too.
    const auto round1 = round_one_certificates(s.committee, 900);
    s.deliver(1, round1[0].header);
    ASSERT_EQ(sent_of<Vote>(s.node.take_outbound()).size(), 1u);
    for (AuthorityIndex voter = 1; voter <= 2; ++voter) {
        const Digest d = s.own_header.digest();
        Vote v{1, 1, 0, d, voter, make_test_scheme(s.committee, voter)->sign(vote_statement(s.committee, 1, 1, 0, d))};
        s.deliver(voter, v);
    }
    for (AuthorityIndex a = 1; a < 4; ++a) s.deliver(a, round1[a - 1]);
    auto parents_without = [&](AuthorityIndex excluded) {
        std::vector<Digest> out;
        for (AuthorityIndex a = 0; a < 4; ++a) {
            if (a != excluded) out.push_back(s.node.certificate_at(1, a)->digest);
        }
        return out;
    };
    for (AuthorityIndex a = 0; a < 4; ++a) ASSERT_NE(s.node.certificate_at(1, a), nullptr);
    (void)s.node.take_outbound();
    // Author 1, round 2, 800 ms < the 900 ms of its round-1 header we voted for (its own
    // certificate is not among the parents): refused.
    s.deliver(1, signed_header(s.committee, 2, 1, parents_without(1), 800));
    EXPECT_TRUE(sent_of<Vote>(s.node.take_outbound()).empty());
    EXPECT_EQ(s.node.stats().stale_timestamps, 1u);
    // Author 3, round 2, 850 ms < its own round-1 certificate's 900 ms among the parents: refused.
    s.deliver(3, signed_header(s.committee, 2, 3, parents_without(2), 850));
    EXPECT_TRUE(sent_of<Vote>(s.node.take_outbound()).empty());
    EXPECT_EQ(s.node.stats().stale_timestamps, 2u);
    // Author 2, round 2, 950 ms: voted for.
    s.deliver(2, signed_header(s.committee, 2, 2, parents_without(3), 950));
    EXPECT_EQ(sent_of<Vote>(s.node.take_outbound()).size(), 1u);
    EXPECT_EQ(s.node.stats().stale_timestamps, 2u);
}

// ---- 3. per-peer budgets -----------------------------------------------------------------------------

TEST(NodeSecurity, UnsolicitedResponsesAreRefusedBeforeAnySignatureCheck) {
    Single s;
    std::vector<Certificate> junk;
    for (uint64_t k = 0; k < 100; ++k) {
        Certificate c = certify(s.committee, signed_header(s.committee, 1, static_cast<AuthorityIndex>(1 + k % 3),
                                                           genesis_digests(s.committee), k),
                                {1, 2, 3});
        c.aggregate_signature[0] ^= 1;
        junk.push_back(c);
    }
    const uint64_t checks = s.node.stats().signature_checks;
    const size_t dag = s.node.dag_size();
    s.deliver(2, CertificatesResponse{1, junk});
    EXPECT_EQ(s.node.stats().signature_checks, checks);
    EXPECT_EQ(s.node.stats().bad_signatures, 0u);  // nothing was checked
    EXPECT_EQ(s.node.unsolicited_from(2), 100u);
    EXPECT_EQ(s.node.unsolicited_from(1), 0u);
    EXPECT_EQ(s.node.dag_size(), dag);
    // A certificate broadcast by someone other than its author, and an unasked batch response.
    s.deliver(3, round_one_certificates(s.committee, 900)[0]);  // authored by 1
    EXPECT_EQ(s.node.unsolicited_from(3), 1u);
    s.deliver(3, BatchResponse{1, {Batch{{Bytes(10, 1)}}}});
    EXPECT_EQ(s.node.unsolicited_from(3), 2u);
    EXPECT_EQ(s.node.stats().signature_checks, checks);
    EXPECT_EQ(s.node.certificate_at(1, 1), nullptr);
}

TEST(NodeSecurity, ResponseWithMoreThanAskedIsRefusedWhole) {
    Parameters p = fast_parameters();
    p.max_certificates_per_response = 2;
    Single s(p);
    const auto round1 = round_one_certificates(s.committee, 900);
    const AuthorityIndex peer = s.range_request();
    const uint64_t checks = s.node.stats().signature_checks;
    s.deliver(peer, CertificatesResponse{1, round1});  // 3 > the 2 asked
    EXPECT_EQ(s.node.stats().oversized_responses, 1u);
    EXPECT_EQ(s.node.stats().signature_checks, checks);
    EXPECT_EQ(s.node.certificate_at(1, 1), nullptr);
    // Two are what was asked: read and accepted; the request is answered, so a third is not.
    s.deliver(peer, CertificatesResponse{1, {round1[0], round1[1]}});
    EXPECT_NE(s.node.certificate_at(1, 1), nullptr);
    EXPECT_NE(s.node.certificate_at(1, 2), nullptr);
    s.deliver(peer, CertificatesResponse{1, {round1[2]}});
    EXPECT_EQ(s.node.certificate_at(1, 3), nullptr);
    EXPECT_EQ(s.node.unsolicited_from(peer), 1u);
}

TEST(NodeSecurity, OneAuthorCannotFillTheHeaderWaitingRoom) {
    Parameters p = fast_parameters();
    p.max_pending_headers = 8;  // a share of 2 per author
    Single s(p);
    auto unknown_parents = [](uint8_t seed) {
        std::vector<Digest> out;
        for (uint8_t q = 0; q < 3; ++q) {
            Digest d{};
            d.fill(static_cast<uint8_t>(seed + q));
            out.push_back(d);
        }
        return out;
    };
    for (uint64_t k = 0; k < 50; ++k) {
        s.deliver(2, signed_header(s.committee, 5, 2, unknown_parents(static_cast<uint8_t>(3 * k + 1)), k));
    }
    EXPECT_EQ(s.node.pending_headers_of(2), 2u);
    s.deliver(3, signed_header(s.committee, 5, 3, unknown_parents(200), 1));
    EXPECT_EQ(s.node.pending_headers_of(3), 1u);
    EXPECT_EQ(s.node.pending_headers(), 3u);
}

TEST(NodeSecurity, HeadersNamingFakeBatchesCannotExhaustBatchFetches) {
    Parameters p = fast_parameters();
    p.max_outstanding_fetches = 64;  // a share of 16 per author
    Single s(p);
    std::vector<PayloadEntry> fake;
    for (uint32_t k = 0; k < 200; ++k) {
        Digest d{};
        d[0] = static_cast<uint8_t>(k);
        d[1] = static_cast<uint8_t>(k >> 8);
        d[2] = 0xfa;
        fake.push_back(PayloadEntry{d, 0});
    }
    s.deliver(2, signed_header(s.committee, 1, 2, genesis_digests(s.committee), 900, fake));
    EXPECT_EQ(s.node.fetches_owned_by(2), 16u);
    Digest real{};
    real.fill(0x33);
    s.deliver(3, signed_header(s.committee, 1, 3, genesis_digests(s.committee), 900, {PayloadEntry{real, 0}}));
    EXPECT_EQ(s.node.fetches_owned_by(3), 1u);
    // After sync_retry the batch of author 3's header is asked from author 3.
    s.now += p.sync_retry_us;
    s.node.on_tick(s.now);
    bool asked = false;
    for (const auto& [to, request] : sent_of<BatchRequest>(s.node.take_outbound())) {
        asked |= to == 3 && std::find(request.digests.begin(), request.digests.end(), real) != request.digests.end();
    }
    EXPECT_TRUE(asked);
}

TEST(NodeSecurity, RangesAreServedWithinWhatWasAskedAndNotTooOften) {
    Cluster cluster(4);
    cluster.run_until(2'000'000);
    Node& node = *cluster.nodes[0];
    ASSERT_GT(node.highest_round(), 10u);
    (void)node.take_outbound();
    cluster.now += cluster.parameters.sync_interval_us;  // whatever node 1 asked during the run is long ago
    auto ask = [&](uint32_t max_certificates, uint32_t max_bytes) {
        node.on_message(1, Plane::primary, encode_message(CertificateRangeRequest{1, 1, {}, max_certificates, max_bytes}),
                        cluster.now);
        std::vector<std::pair<CertificatesResponse, size_t>> out;
        for (const auto& o : node.take_outbound()) {
            auto m = decode_message(o.bytes);
            if (o.to == 1 && m && std::holds_alternative<CertificatesResponse>(*m)) {
                out.emplace_back(std::get<CertificatesResponse>(*m), o.bytes.size());
            }
        }
        return out;
    };
    auto first = ask(3, 1 << 20);
    ASSERT_EQ(first.size(), 1u);
    EXPECT_EQ(first[0].first.certificates.size(), 3u);
    // Asked again at once: not served.
    EXPECT_TRUE(ask(3, 1 << 20).empty());
    EXPECT_EQ(node.stats().range_requests_refused, 1u);
    // Half a sync interval later, with room for one certificate only.
    cluster.now += cluster.parameters.sync_interval_us / 2;
    const uint32_t one = static_cast<uint32_t>(certificates_response_overhead + encoded_size(first[0].first.certificates[0]));
    auto second = ask(100, one);
    ASSERT_EQ(second.size(), 1u);
    EXPECT_EQ(second[0].first.certificates.size(), 1u);
    EXPECT_LE(second[0].second, one);
}

// ---- 5. equivocation evidence ------------------------------------------------------------------------

Header bls_header(const Committee& committee, Round round, AuthorityIndex author, uint64_t created_at_ms) {
    Header h;
    h.epoch = committee.epoch();
    h.round = round;
    h.author = author;
    h.created_at_ms = created_at_ms;
    h.parents = genesis_digests(committee);
    std::sort(h.parents.begin(), h.parents.end());
    h.signature = make_bls_scheme(committee, bls_secret_of(committee, author))->sign(header_statement(committee, h, h.digest()));
    return h;
}

TEST(NodeSecurity, EquivocationEvidencePassesTheLedgerCheckAndForgeriesDoNot) {
    const Committee committee = committee_of(4);
    MemoryStore store;
    TimeUs now = 1'000'000;
    auto start = [&] {
        return std::make_unique<Node>(committee, 0, make_bls_scheme(committee, bls_secret_of(committee, 0)), store,
                                      options_with(fast_parameters()), now);
    };
    auto node = start();
    auto deliver = [&](AuthorityIndex from, const Header& h) {
        node->on_message(from, Plane::primary, encode_message(h), now);
        return sent_of<Vote>(node->take_outbound());
    };
    const auto accused = committee.member(1).consensus_key;
    const Header first = bls_header(committee, 1, 1, 900);
    ASSERT_EQ(deliver(1, first).size(), 1u);
    EXPECT_TRUE(node->take_equivocation_evidence().empty());
    // A second header of author 1 for round 1: no vote, evidence the ledger accepts.
    const Header second = bls_header(committee, 1, 1, 901);
    EXPECT_TRUE(deliver(1, second).empty());
    auto evidence = node->take_equivocation_evidence();
    ASSERT_EQ(evidence.size(), 1u);
    EXPECT_EQ(evidence[0].author, 1);
    EXPECT_EQ(evidence[0].first.statement.subject, first.digest());
    EXPECT_EQ(evidence[0].second.statement.subject, second.digest());
    EXPECT_TRUE(ledger::check_equivocation(accused, evidence[0].first, evidence[0].second).has_value());
    // Forgeries: a statement signed by someone else, a changed subject, the same statement twice.
    auto swapped = evidence[0];
    swapped.second.signature = bls_header(committee, 1, 2, 901).signature;
    EXPECT_EQ(ledger::check_equivocation(accused, swapped.first, swapped.second).error(), ledger::EvidenceError::bad_signature);
    auto changed = evidence[0];
    changed.second.statement.subject[0] ^= 1;
    EXPECT_EQ(ledger::check_equivocation(accused, changed.first, changed.second).error(), ledger::EvidenceError::bad_signature);
    EXPECT_EQ(ledger::check_equivocation(accused, evidence[0].first, evidence[0].first).error(),
              ledger::EvidenceError::not_conflicting);
    EXPECT_FALSE(ledger::check_equivocation(committee.member(2).consensus_key, evidence[0].first, evidence[0].second));
    // A third header for the same (author, round): refused, no second evidence (one per slot).
    EXPECT_TRUE(deliver(1, bls_header(committee, 1, 1, 902)).empty());
    EXPECT_TRUE(node->take_equivocation_evidence().empty());
    // A header with a forged signature is not evidence of anything.
    Header voted = bls_header(committee, 1, 3, 903);
    Header other = bls_header(committee, 1, 3, 904);
    ASSERT_EQ(deliver(3, voted).size(), 1u);
    other.signature = voted.signature;  // not a signature over `other`
    EXPECT_TRUE(deliver(3, other).empty());
    EXPECT_EQ(node->stats().bad_signatures, 1u);
    EXPECT_TRUE(node->take_equivocation_evidence().empty());
    // After a restart the header we voted for is still known: evidence again.
    node = start();
    EXPECT_TRUE(deliver(3, bls_header(committee, 1, 3, 905)).empty());
    evidence = node->take_equivocation_evidence();
    ASSERT_EQ(evidence.size(), 1u);
    EXPECT_EQ(evidence[0].first.statement.subject, voted.digest());
    EXPECT_TRUE(ledger::check_equivocation(committee.member(3).consensus_key, evidence[0].first, evidence[0].second));
    // Two parked headers (ahead of our clock, not yet voted for) are evidence too.
    const uint64_t now_ms = now / 1000;
    EXPECT_TRUE(deliver(2, bls_header(committee, 1, 2, now_ms + 500)).empty());
    EXPECT_TRUE(deliver(2, bls_header(committee, 1, 2, now_ms + 600)).empty());
    evidence = node->take_equivocation_evidence();
    ASSERT_EQ(evidence.size(), 1u);
    EXPECT_TRUE(ledger::check_equivocation(committee.member(2).consensus_key, evidence[0].first, evidence[0].second));
    EXPECT_EQ(node->stats().evidence_emitted, 2u);  // since the restart: authors 3 and 2
}

}  // namespace
}  // namespace fleek::consensus
