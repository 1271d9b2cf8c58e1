// Test support for the node tests (node_test.cpp, node_security_test.cpp): a committee with known
// keys, a cluster of nodes wired through an in-order message queue, and builders of validly
// signed headers and certificates (test signature scheme unless said otherwise).
#pragma once

#include "consensus/node.h"
#include "consensus/records.h"

#include <algorithm>
#include <deque>
#include <memory>
#include <set>
#include <vector>

namespace fleek::consensus::testing {

inline Bytes member_seed(size_t i) { return Bytes(32, static_cast<uint8_t>(i + 1)); }

inline Committee committee_of(size_t n, uint64_t epoch = 1) {
    std::vector<Member> members;
    for (size_t i = 0; i < n; ++i) {
        members.push_back(Member{crypto::NodeSecretKey::from_seed(member_seed(i)).value().public_key(),
                                 crypto::bls::SecretKey::from_seed(member_seed(i)).value().public_key()});
    }
    return Committee::create(epoch, std::move(members)).value();
}

// The BLS secret key of the member at `index` of committee_of(n, ...) (committee order is by key).
inline crypto::bls::SecretKey bls_secret_of(const Committee& committee, AuthorityIndex index) {
    for (size_t i = 0; i < committee.size(); ++i) {
        auto key = crypto::bls::SecretKey::from_seed(member_seed(i)).value();
        if (committee.index_of(key.public_key()) == index) return key;
    }
    FLEEK_ASSERT(false);
    return crypto::bls::SecretKey::from_seed(member_seed(0)).value();
}

inline Parameters fast_parameters() {
    Parameters p;
    p.batch_size_bytes = 1000;
    p.max_batch_delay_us = 10'000;
    p.min_header_delay_us = 10'000;
    p.max_header_delay_us = 50'000;
    p.gc_depth = 10;
    return p;
}

inline Header signed_header(const Committee& committee, Round round, AuthorityIndex author, std::vector<Digest> parents,
                            uint64_t created_at_ms, std::vector<PayloadEntry> payload = {}) {
    Header h;
    h.epoch = committee.epoch();
    h.round = round;
    h.author = author;
    h.created_at_ms = created_at_ms;
    h.payload = std::move(payload);
    h.parents = std::move(parents);
    std::sort(h.parents.begin(), h.parents.end());
    h.signature = make_test_scheme(committee, author)->sign(header_statement(committee, h, h.digest()));
    return h;
}

// A certificate for `header` signed (test scheme) by the given voters, over `committee`'s epoch.
inline Certificate certify(const Committee& committee, const Header& header, std::vector<AuthorityIndex> voters) {
    std::sort(voters.begin(), voters.end());
    std::vector<SignatureBytes> signatures;
    const auto statement = vote_statement(committee, committee.epoch(), header.round, header.author, header.digest());
    for (AuthorityIndex v : voters) signatures.push_back(make_test_scheme(committee, v)->sign(statement));
    const auto aggregate = make_test_scheme(committee, std::nullopt)->aggregate(signatures).value();
    return Certificate{header, signer_bitmap(committee.size(), voters), aggregate};
}

inline std::vector<Digest> genesis_digests(const Committee& committee) {
    std::vector<Digest> out;
    for (const auto& g : genesis(committee)) out.push_back(g->digest);
    return out;
}

// The messages of one kind in an outbound list, with their recipients.
template <class T>
std::vector<std::pair<AuthorityIndex, T>> sent_of(const std::vector<Outbound>& outbound) {
    std::vector<std::pair<AuthorityIndex, T>> out;
    for (const auto& o : outbound) {
        auto m = decode_message(o.bytes);
        if (m && std::holds_alternative<T>(*m)) out.emplace_back(o.to, std::get<T>(*m));
    }
    return out;
}

struct Cluster {
    explicit Cluster(size_t n, Parameters p = fast_parameters()) : committee(committee_of(n)), parameters(p) {
        stores.resize(n);
        for (auto& s : stores) s = std::make_unique<MemoryStore>();
        nodes.resize(n);
        outputs.resize(n);
        for (size_t i = 0; i < n; ++i) start(static_cast<AuthorityIndex>(i));
    }
    void start(AuthorityIndex i, TestHooks hooks = {}) {
        Node::Options options;
        options.parameters = parameters;
        options.hooks = hooks;
        options.rng_seed = i + 1;
        options.next_output_index = outputs[i].size();
        nodes[i] = std::make_unique<Node>(committee, i, make_test_scheme(committee, i), *stores[i], options, now);
        collect(i);
    }
    void collect(AuthorityIndex i) {
        if (!nodes[i]) return;
        for (auto& out : nodes[i]->take_outbound()) {
            if (!down.count(out.to)) queue.push_back({i, std::move(out)});
        }
        for (auto& o : nodes[i]->take_output()) outputs[i].push_back(std::move(o));
    }
    // Delivers queued messages and ticks every 5 ms until `until`.
    void run_until(TimeUs until) {
        while (now < until) {
            while (!queue.empty()) {
                auto [from, out] = std::move(queue.front());
                queue.pop_front();
                if (!nodes[out.to]) continue;
                nodes[out.to]->on_message(from, out.plane, out.bytes, now);
                collect(out.to);
            }
            now += 5'000;
            for (size_t i = 0; i < nodes.size(); ++i) {
                if (!nodes[i]) continue;
                nodes[i]->on_tick(now);
                collect(static_cast<AuthorityIndex>(i));
            }
        }
    }
    std::vector<Bytes> transactions(size_t i) const {
        std::vector<Bytes> out;
        for (const auto& o : outputs[i]) {
            for (const auto& tx : o.transactions) out.push_back(tx.bytes);
        }
        return out;
    }
    Committee committee;
    Parameters parameters;
    std::vector<std::unique_ptr<MemoryStore>> stores;
    std::vector<std::unique_ptr<Node>> nodes;
    std::vector<std::vector<CommittedOutput>> outputs;
    std::deque<std::pair<AuthorityIndex, Outbound>> queue;
    std::set<AuthorityIndex> down;
    TimeUs now = 1'000'000;
};

}  // namespace fleek::consensus::testing
