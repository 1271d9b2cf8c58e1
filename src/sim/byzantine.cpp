#include "sim/byzantine.h"

#include <algorithm>

namespace fleek::sim {

using namespace consensus;

Adversary::Adversary(const Scenario& scenario, const Committee& committee,
                     std::vector<std::shared_ptr<const SignatureScheme>> signers)
    : m_s(scenario), m_committee(committee), m_signers(std::move(signers)) {
    std::vector<Member> members = committee.members();
    m_previous = std::make_unique<Committee>(Committee::create(committee.epoch() - 1, std::move(members)).value());
    for (const auto& [node, behaviour] : scenario.byzantine) {
        if (behaviour != Byzantine::withhold_from_some || committee.size() < 2) continue;
        std::vector<AuthorityIndex> others;
        for (size_t i = 0; i < committee.size(); ++i) {
            if (i != node) others.push_back(static_cast<AuthorityIndex>(i));
        }
        Rng rng(scenario.seed ^ (0x5eed0000ULL + node));
        for (size_t i = others.size(); i > 1; --i) std::swap(others[i - 1], others[rng.below(i)]);
        const size_t count = std::max<size_t>(1, others.size() / 2);
        m_withheld[node] = std::set<AuthorityIndex>(others.begin(), others.begin() + static_cast<std::ptrdiff_t>(count));
    }
}

TimeUs Adversary::abuse_offset_us(const Scenario& scenario, AuthorityIndex node) {
    // Half of the seeds just under the drift bound (its headers wait at the voters), half an hour
    // ahead (its headers get no vote at all).
    const uint64_t drift_us = scenario.parameters.max_header_time_drift_ms * 1000;
    return (scenario.seed + node) % 2 == 0 ? drift_us - std::min<uint64_t>(drift_us, 100'000) : 3'600'000'000ULL;
}

void Adversary::resign(AuthorityIndex me, Header& h) const {
    h.signature = m_signers[me]->sign(header_statement(m_committee, h, h.digest()));
}

Certificate Adversary::previous_epoch_twin(const Certificate& certificate) {
    const Digest real = certificate.header.digest();
    if (auto it = m_twins.find(real); it != m_twins.end()) return it->second;
    Certificate twin = certificate;
    twin.header.epoch = m_previous->epoch();
    const Digest digest = twin.header.digest();
    twin.header.signature = m_signers[twin.header.author]->sign(header_statement(*m_previous, twin.header, digest));
    auto signers = bitmap_signers(m_committee.size(), twin.signers).value_or(std::vector<AuthorityIndex>{});
    const auto statement = vote_statement(*m_previous, twin.header.epoch, twin.header.round, twin.header.author, digest);
    std::vector<SignatureBytes> signatures;
    for (AuthorityIndex s : signers) signatures.push_back(m_signers[s]->sign(statement));
    if (auto aggregate = m_signers[0]->aggregate(signatures)) twin.aggregate_signature = *aggregate;
    if (m_twins.size() > 4096) m_twins.clear();
    m_twins.emplace(real, twin);
    return twin;
}

Bytes Adversary::junk(AuthorityIndex me, Rng& rng, Plane& plane) {
    const uint64_t epoch = m_committee.epoch();
    auto random_digest = [&] {
        Digest d{};
        for (auto& b : d) b = static_cast<uint8_t>(rng.next());
        return d;
    };
    plane = Plane::primary;
    switch (rng.below(6)) {
        case 0: {  // random bytes, either plane
            Bytes bytes(rng.below(257));
            for (auto& b : bytes) b = static_cast<uint8_t>(rng.next());
            if (!bytes.empty() && rng.chance(1, 2)) bytes[0] = static_cast<uint8_t>(rng.below(20));
            plane = rng.chance(1, 2) ? Plane::primary : Plane::worker;
            return bytes;
        }
        case 1: {  // an unsolicited response full of well-formed certificates with junk signatures
            CertificatesResponse response{epoch, {}};
            const size_t count = 1 + rng.below(64);
            for (size_t k = 0; k < count; ++k) {
                Certificate c;
                c.header.epoch = epoch;
                c.header.round = 1 + rng.below(200);
                c.header.author = static_cast<AuthorityIndex>(rng.below(m_committee.size()));
                c.header.created_at_ms = rng.next() % 1'000'000'000;
                for (size_t p = 0; p < m_committee.quorum(); ++p) c.header.parents.push_back(random_digest());
                std::sort(c.header.parents.begin(), c.header.parents.end());
                std::vector<AuthorityIndex> all;
                for (size_t i = 0; i < m_committee.size(); ++i) all.push_back(static_cast<AuthorityIndex>(i));
                c.signers = signer_bitmap(m_committee.size(), all);
                for (auto& b : c.aggregate_signature) b = static_cast<uint8_t>(rng.next());
                response.certificates.push_back(std::move(c));
            }
            return encode_message(response);
        }
        case 2: {  // an unsolicited batch response
            plane = Plane::worker;
            Bytes tx(16 + rng.below(64));
            for (auto& b : tx) b = static_cast<uint8_t>(rng.next());
            return encode_message(BatchResponse{epoch, {Batch{{tx}}}});
        }
        case 3:  // a range request for everything
            return encode_message(CertificateRangeRequest{epoch, 1, {}, UINT32_MAX, UINT32_MAX});
        case 4: {  // a header of another author, relayed
            Header h;
            h.epoch = epoch;
            h.round = 1 + rng.below(100);
            h.author = static_cast<AuthorityIndex>((me + 1) % m_committee.size());
            for (size_t p = 0; p < m_committee.quorum(); ++p) h.parents.push_back(random_digest());
            std::sort(h.parents.begin(), h.parents.end());
            return encode_message(h);
        }
        default: {  // a request for many certificates nobody has
            CertificatesRequest request{epoch, {}};
            for (size_t k = 0; k < request_digests_max; ++k) request.digests.push_back(random_digest());
            return encode_message(request);
        }
    }
}

std::vector<Send> Adversary::rewrite(AuthorityIndex me, Byzantine behaviour, Outbound out, Rng& rng) {
    std::vector<Send> sends;
    if (behaviour == Byzantine::silent) return sends;
    if (behaviour == Byzantine::withhold_from_some && m_withheld[me].count(out.to)) return sends;
    auto decoded = decode_message(out.bytes);
    if (!decoded) return sends;
    Message& m = *decoded;
    auto send = [&](Plane plane, Bytes bytes, TimeUs delay = 0) {
        sends.push_back(Send{me, out.to, plane, std::move(bytes), delay, false});
    };
    switch (behaviour) {
        case Byzantine::equivocate:
            if (auto* h = std::get_if<Header>(&m); h && h->author == me && out.to % 2 == 1) {
                // Odd recipients get the real header and then a second one for the same round.
                send(out.plane, out.bytes);
                h->created_at_ms += 1 + out.to;
                if (!h->payload.empty()) h->payload.pop_back();
                resign(me, *h);
                out.bytes = encode_message(m);
            }
            break;
        case Byzantine::withhold_batches:
            if (auto* b = std::get_if<BatchMessage>(&m)) {
                // Keep the batch to itself but act as if the peer had acknowledged it, so its
                // headers reference batches no one else has.
                const Bytes ack = encode_message(BatchAck{b->epoch, batch_digest(b->batch)});
                sends.push_back(Send{out.to, me, Plane::worker, ack, 1'000, true});
                return sends;
            }
            if (std::holds_alternative<BatchResponse>(m)) return sends;
            break;
        case Byzantine::bad_signatures:
            if (rng.chance(1, 2)) {
                if (auto* h = std::get_if<Header>(&m)) h->signature[5] ^= 0x40;
                if (auto* v = std::get_if<Vote>(&m)) v->signature[7] ^= 0x01;
                if (auto* c = std::get_if<Certificate>(&m)) {
                    if (rng.chance(1, 2)) {
                        c->aggregate_signature[9] ^= 0x10;
                    } else {
                        // Too few signers for the same signature.
                        for (auto& byte : c->signers) byte = 0;
                        c->signers[0] = 1;
                    }
                }
                if (rng.chance(1, 4)) {
                    // Replay into another epoch.
                    if (auto* h = std::get_if<Header>(&m)) h->epoch -= 1;
                }
                out.bytes = encode_message(m);
            }
            break;
        case Byzantine::withhold_certificates:
            if (std::holds_alternative<Certificate>(m) || std::holds_alternative<CertificatesResponse>(m)) return sends;
            break;
        case Byzantine::far_future:
            if (auto* h = std::get_if<Header>(&m); h && h->author == me) {
                Header junk_header = *h;
                junk_header.round += rng.chance(1, 2) ? 1'000'000 : m_s.parameters.max_round_ahead + 3;
                resign(me, junk_header);
                send(Plane::primary, encode_message(junk_header));
                Certificate fake{junk_header, signer_bitmap(m_committee.size(), std::vector<AuthorityIndex>{me}),
                                 junk_header.signature};
                send(Plane::primary, encode_message(fake));
            }
            break;
        case Byzantine::invalid_parents:
            if (auto* h = std::get_if<Header>(&m); h && h->author == me && h->round > 1) {
                switch (rng.below(3)) {
                    case 0: h->parents.resize(m_committee.quorum() - 1); break;
                    case 1: {
                        // A parent of the wrong round: a genesis certificate.
                        h->parents.back() = genesis(m_committee)[0]->digest;
                        std::sort(h->parents.begin(), h->parents.end());
                        h->parents.erase(std::unique(h->parents.begin(), h->parents.end()), h->parents.end());
                        break;
                    }
                    default: {
                        // Duplicate authors: an older certificate of a parent's author is not at hand,
                        // so list an unknown digest in place of one parent.
                        h->parents.back()[0] ^= 0xff;
                        std::sort(h->parents.begin(), h->parents.end());
                        break;
                    }
                }
                resign(me, *h);
                out.bytes = encode_message(m);
            }
            break;
        case Byzantine::junk_spam:
            if (rng.chance(1, 3)) {
                Plane plane = Plane::primary;
                Bytes bytes = junk(me, rng, plane);
                send(plane, std::move(bytes));
            }
            break;
        case Byzantine::cross_epoch_replay:
            if (auto* response = std::get_if<CertificatesResponse>(&m)) {
                // Each answered certificate preceded by its previous-epoch twin (same author and
                // round); half of them, so the response stays within the count asked for.
                std::vector<Certificate> replayed;
                const size_t keep = std::max<size_t>(1, response->certificates.size() / 2);
                for (size_t k = 0; k < keep && k < response->certificates.size(); ++k) {
                    replayed.push_back(previous_epoch_twin(response->certificates[k]));
                    replayed.push_back(response->certificates[k]);
                }
                response->certificates = std::move(replayed);
                out.bytes = encode_message(m);
            } else if (auto* c = std::get_if<Certificate>(&m); c && rng.chance(1, 4)) {
                send(Plane::primary, encode_message(previous_epoch_twin(*c)));  // refused as another epoch
            }
            break;
        case Byzantine::timestamp_abuse:
            if (auto* h = std::get_if<Header>(&m); h && h->author == me && rng.chance(1, 4)) {
                // After the real header, a second one for the round dated at time 0: older than
                // the author's previous header (and an equivocation).
                send(out.plane, out.bytes);
                h->created_at_ms = 0;
                resign(me, *h);
                out.bytes = encode_message(m);
            }
            break;
        case Byzantine::slow_leader:
            if (out.plane == Plane::primary) {
                send(out.plane, std::move(out.bytes), 150'000 + rng.below(300'001));
                return sends;
            }
            break;
        default: break;
    }
    send(out.plane, std::move(out.bytes));
    return sends;
}

}  // namespace fleek::sim
