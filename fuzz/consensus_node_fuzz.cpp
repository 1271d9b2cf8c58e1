// A consensus node driven by a fuzzed script of peer actions. The committee's keys are known (test
// signature scheme, seeded), so besides raw frames the script builds well-formed, validly signed
// headers, votes and certificates from the node's own DAG and lets the input choose their fields
// (round, author, time, parents, payload, signers, epoch, sender) and whether to corrupt a
// signature: the node's deep paths (votes, certificates, fetches, responses to its own requests,
// commits, evidence) are reached, not only its decoders.
//
// Properties: no crash, assertion, leak or sanitizer report; waiting rooms, fetches and evidence
// stay within their bounds (per peer too); everything the node sends decodes.
//
// Input: a sequence of operations, each an op byte followed by its fields (missing bytes read 0):
//   0 raw frame        from, plane, u16 length, bytes
//   1 header           header fields (below), then delivered by its author (or another peer)
//   2 vote             voter, corrupt: a vote for the node's current header
//   3 certificate      header fields, signer mask, corrupt, mode: broadcast by its author, or in
//                      a response from the peer the node last asked (range or digests)
//   4 batch            from, count, then per transaction a length byte and bytes
//   5 tick             u16: milliseconds to advance
//   6 request          kind, then fields: certificates by digest, a range, or batches
//   7 submit           length byte, bytes: a client transaction
// Header fields: author, round pick, i16 time offset (ms from now), parent mask, payload count,
// flags (0x80 other epoch, 0x40 corrupt signature, 0x20 sent by another peer).
#include "consensus/node.h"
#include "util/assert.h"

#include <algorithm>
#include <map>

namespace {

using namespace fleek;
using namespace fleek::consensus;

constexpr size_t members = 4;

const Committee& committee() {
    static const Committee instance = [] {
        std::vector<Member> list;
        for (uint8_t i = 0; i < members; ++i) {
            Bytes seed(32, static_cast<uint8_t>(i + 1));
            list.push_back({crypto::NodeSecretKey::from_seed(seed).value().public_key(),
                            crypto::bls::SecretKey::from_seed(seed).value().public_key()});
        }
        return Committee::create(1, std::move(list)).value();
    }();
    return instance;
}

const SignatureScheme& signer(AuthorityIndex i) {
    static const auto schemes = [] {
        std::vector<std::shared_ptr<const SignatureScheme>> out;
        for (size_t k = 0; k < members; ++k) out.push_back(make_test_scheme(committee(), static_cast<AuthorityIndex>(k)));
        return out;
    }();
    return *schemes[i % members];
}

struct Script {
    const uint8_t* data;
    size_t size;
    size_t offset = 0;
    bool done() const { return offset >= size; }
    uint8_t byte() { return offset < size ? data[offset++] : 0; }
    uint16_t u16() { return static_cast<uint16_t>(byte() | (byte() << 8)); }
    uint32_t u32() { return static_cast<uint32_t>(u16() | (static_cast<uint32_t>(u16()) << 16)); }
    Bytes bytes(size_t n) {
        const size_t take = std::min(n, size - std::min(size, offset));
        Bytes out(data + offset, data + offset + take);
        offset += take;
        return out;
    }
};

struct Driver {
    explicit Driver(Script& s) : script(s) {
        Node::Options options;
        options.parameters.max_pending_headers = 8;
        options.parameters.max_suspended_certificates = 8;
        options.parameters.max_outstanding_fetches = 64;
        options.parameters.max_certificates_per_response = 16;
        options.parameters.gc_depth = 6;
        options.parameters.min_header_delay_us = 10'000;
        options.parameters.max_header_delay_us = 50'000;
        options.parameters.sync_retry_us = 200'000;
        options.parameters.sync_interval_us = 400'000;
        node = std::make_unique<Node>(committee(), 0, make_test_scheme(committee(), 0), store, options, now);
        parameters = options.parameters;
        drain();
    }

    void drain() {
        for (auto& out : node->take_outbound()) {
            auto decoded = decode_message(out.bytes);
            FLEEK_ASSERT(decoded.has_value());  // the node only sends what decodes
            if (auto* h = std::get_if<Header>(&*decoded)) own_header = *h;
            if (std::holds_alternative<CertificateRangeRequest>(*decoded) ||
                std::holds_alternative<CertificatesRequest>(*decoded)) {
                asked = out.to;
            }
        }
        (void)node->take_output();
        (void)node->take_equivocation_evidence();
        FLEEK_ASSERT(node->pending_headers() <= parameters.max_pending_headers);
        FLEEK_ASSERT(node->suspended_certificates() <= parameters.max_suspended_certificates);
        FLEEK_ASSERT(node->outstanding_fetches() <= 2 * parameters.max_outstanding_fetches);
        for (AuthorityIndex a = 0; a < members; ++a) {
            FLEEK_ASSERT(node->pending_headers_of(a) <= std::max<size_t>(1, parameters.max_pending_headers / members));
            FLEEK_ASSERT(node->suspended_from(a) <= std::max<size_t>(1, parameters.max_suspended_certificates / members));
        }
    }

    void deliver(AuthorityIndex from, const Message& message) {
        node->on_message(from, plane_of(message), encode_message(message), now);
        drain();
    }

    Header header() {
        Header h;
        h.author = static_cast<AuthorityIndex>(script.byte() % members);
        const Round top = node->highest_round() + 2;
        h.round = 1 + script.byte() % std::max<Round>(top, 1);
        const auto offset_ms = static_cast<int16_t>(script.u16());
        h.created_at_ms = static_cast<uint64_t>(std::max<int64_t>(0, static_cast<int64_t>(now / 1000) + offset_ms));
        const uint8_t mask = script.byte();
        for (AuthorityIndex a = 0; a < members; ++a) {
            if (!(mask & (1u << a))) continue;
            if (h.round == 1) {
                h.parents.push_back(genesis(committee())[a]->digest);
            } else if (auto c = node->certificate_at(h.round - 1, a)) {
                h.parents.push_back(c->digest);
            }
        }
        if (mask & 0x10) {
            Digest junk{};
            junk.fill(mask);
            h.parents.push_back(junk);
        }
        std::sort(h.parents.begin(), h.parents.end());
        h.parents.erase(std::unique(h.parents.begin(), h.parents.end()), h.parents.end());
        const uint8_t payload = script.byte() % 4;
        for (uint8_t k = 0; k < payload; ++k) {
            Digest d{};
            if (!batches.empty() && k % 2 == 0) {
                d = batches[script.byte() % batches.size()];
            } else {
                d.fill(static_cast<uint8_t>(k + 1));
            }
            if (std::none_of(h.payload.begin(), h.payload.end(), [&](const PayloadEntry& e) { return e.batch == d; })) {
                h.payload.push_back(PayloadEntry{d, 0});
            }
        }
        flags = script.byte();
        h.epoch = committee().epoch() + ((flags & 0x80) ? 1 : 0);
        h.signature = signer(h.author).sign(header_statement(committee(), h, h.digest()));
        if (flags & 0x40) h.signature[3] ^= 1;
        return h;
    }

    AuthorityIndex sender(AuthorityIndex author) {
        if (author != 0 && !(flags & 0x20)) return author;
        return static_cast<AuthorityIndex>(1 + (author + 1) % (members - 1));
    }

    void certificate() {
        const Header h = header();
        const uint8_t mask = script.byte();
        std::vector<AuthorityIndex> voters;
        std::vector<SignatureBytes> signatures;
        const auto statement = vote_statement(committee(), h.epoch, h.round, h.author, h.digest());
        for (AuthorityIndex a = 0; a < members; ++a) {
            if (!(mask & (1u << a))) continue;
            voters.push_back(a);
            signatures.push_back(signer(a).sign(statement));
        }
        Certificate c{h, signer_bitmap(members, voters), {}};
        if (auto aggregate = signer(0).aggregate(signatures)) c.aggregate_signature = *aggregate;
        if (script.byte() & 1) c.aggregate_signature[7] ^= 0x20;
        if (script.byte() & 1) {
            deliver(asked == 0 ? 1 : asked, CertificatesResponse{committee().epoch(), {c}});
        } else {
            deliver(sender(h.author), c);
        }
    }

    void step() {
        switch (script.byte() % 8) {
            case 0: {
                const auto from = static_cast<AuthorityIndex>(script.byte() % (members + 1));
                const Plane plane = script.byte() % 2 ? Plane::worker : Plane::primary;
                const Bytes bytes = script.bytes(script.u16());
                node->on_message(from, plane, bytes, now);
                drain();
                break;
            }
            case 1: {
                const Header h = header();
                deliver(sender(h.author), h);
                break;
            }
            case 2: {
                const auto voter = static_cast<AuthorityIndex>(1 + script.byte() % (members - 1));
                const Digest d = own_header.digest();
                Vote v{committee().epoch(), own_header.round, 0, d, voter,
                       signer(voter).sign(vote_statement(committee(), committee().epoch(), own_header.round, 0, d))};
                if (script.byte() & 1) v.signature[1] ^= 4;
                deliver(voter, v);
                break;
            }
            case 3: certificate(); break;
            case 4: {
                const auto from = static_cast<AuthorityIndex>(1 + script.byte() % (members - 1));
                Batch batch;
                const uint8_t count = 1 + script.byte() % 3;
                for (uint8_t k = 0; k < count; ++k) batch.transactions.push_back(script.bytes(script.byte()));
                batches.push_back(batch_digest(batch));
                if (batches.size() > 16) batches.erase(batches.begin());
                deliver(from, BatchMessage{committee().epoch(), batch});
                break;
            }
            case 5:
                now += 1'000 * static_cast<TimeUs>(script.u16() % 5'000);
                node->on_tick(now);
                drain();
                break;
            case 6: {
                const auto from = static_cast<AuthorityIndex>(1 + script.byte() % (members - 1));
                switch (script.byte() % 3) {
                    case 0: {
                        CertificatesRequest request{committee().epoch(), {}};
                        for (Round r = node->gc_round() + 1; r <= node->highest_round(); ++r) {
                            for (AuthorityIndex a = 0; a < members; ++a) {
                                if (auto c = node->certificate_at(r, a)) request.digests.push_back(c->digest);
                            }
                        }
                        deliver(from, request);
                        break;
                    }
                    case 1: {
                        const Round from_round = script.byte();
                        const uint16_t count = script.u16();
                        deliver(from, CertificateRangeRequest{committee().epoch(), from_round, {}, count, script.u32()});
                        break;
                    }
                    default: deliver(from, BatchRequest{committee().epoch(), batches}); break;
                }
                break;
            }
            default:
                (void)node->submit_transaction(script.bytes(script.byte()), now);
                drain();
                break;
        }
    }

    Script& script;
    TimeUs now = 1'000'000;
    MemoryStore store;
    std::unique_ptr<Node> node;
    Parameters parameters;
    Header own_header;
    AuthorityIndex asked = 0;
    std::vector<Digest> batches;
    uint8_t flags = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    Script script{data, size};
    Driver driver(script);
    for (int steps = 0; steps < 512 && !script.done(); ++steps) driver.step();
    return 0;
}
