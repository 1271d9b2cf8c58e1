#include "consensus/types.h"

#include <algorithm>

#define CONSENSUS_TRY(var, expr)             \
    auto var = (expr);                       \
    if (!var) return ::fleek::fail(var.error())

namespace fleek::consensus {

std::string_view to_string(CommitteeError error) noexcept {
    switch (error) {
        case CommitteeError::empty: return "committee has no members";
        case CommitteeError::too_large: return "committee has more than 256 members";
        case CommitteeError::duplicate_key: return "two committee members share a key";
    }
    return "unknown committee error";
}

Result<Committee, CommitteeError> Committee::create(uint64_t epoch, std::vector<Member> members) {
    if (members.empty()) return fail(CommitteeError::empty);
    if (members.size() > committee_size_max) return fail(CommitteeError::too_large);
    std::sort(members.begin(), members.end(),
              [](const Member& a, const Member& b) { return a.consensus_key.bytes() < b.consensus_key.bytes(); });
    for (size_t i = 1; i < members.size(); ++i) {
        if (members[i].consensus_key == members[i - 1].consensus_key) return fail(CommitteeError::duplicate_key);
    }
    for (size_t i = 0; i < members.size(); ++i) {
        for (size_t j = i + 1; j < members.size(); ++j) {
            if (members[i].node_key == members[j].node_key) return fail(CommitteeError::duplicate_key);
        }
    }
    return Committee(epoch, std::move(members));
}

std::optional<AuthorityIndex> Committee::index_of(const crypto::ConsensusPublicKey& key) const {
    for (size_t i = 0; i < m_members.size(); ++i) {
        if (m_members[i].consensus_key == key) return static_cast<AuthorityIndex>(i);
    }
    return std::nullopt;
}

AuthorityIndex Committee::leader(Round round) const {
    codec::Writer w;
    w.u64(m_epoch);
    w.u64(round);
    const Digest d = crypto::object_digest("consensus-leader", w.view());
    uint64_t value = 0;
    for (int i = 7; i >= 0; --i) value = (value << 8) | d[static_cast<size_t>(i)];
    return static_cast<AuthorityIndex>(value % m_members.size());
}

// ---- batch ----------------------------------------------------------------------------------------

void Batch::encode(codec::Writer& w) const {
    w.sequence(std::span<const Bytes>(transactions), batch_transactions_max,
               [](codec::Writer& out, const Bytes& tx) { out.bytes(tx, transaction_bytes_max); });
}

Result<Batch, codec::DecodeError> Batch::decode(codec::Reader& r) {
    CONSENSUS_TRY(count, r.count(batch_transactions_max, 4));
    Batch out;
    out.transactions.reserve(*count);
    for (uint32_t i = 0; i < *count; ++i) {
        CONSENSUS_TRY(tx, r.bytes(transaction_bytes_max));
        out.transactions.emplace_back(tx->begin(), tx->end());
    }
    return out;
}

size_t Batch::payload_bytes() const noexcept {
    size_t total = 0;
    for (const Bytes& tx : transactions) total += tx.size();
    return total;
}

Digest batch_digest_of_encoding(ByteSpan encoding) { return crypto::object_digest("consensus-batch", encoding); }
Digest batch_digest(const Batch& batch) { return batch_digest_of_encoding(codec::encode(batch)); }

// ---- header ---------------------------------------------------------------------------------------

namespace {

void encode_header_fields(codec::Writer& w, const Header& h) {
    w.u64(h.epoch);
    w.u64(h.round);
    w.u16(h.author);
    w.u64(h.created_at_ms);
    w.sequence(std::span<const PayloadEntry>(h.payload), header_payload_max,
               [](codec::Writer& out, const PayloadEntry& e) {
                   out.fixed(e.batch);
                   out.u32(e.worker);
               });
    w.sequence(std::span<const Digest>(h.parents), static_cast<uint32_t>(committee_size_max),
               [](codec::Writer& out, const Digest& d) { out.fixed(d); });
}

Result<std::vector<Digest>, codec::DecodeError> decode_digests(codec::Reader& r, uint32_t max) {
    CONSENSUS_TRY(count, r.count(max, 32));
    std::vector<Digest> out;
    out.reserve(*count);
    for (uint32_t i = 0; i < *count; ++i) {
        CONSENSUS_TRY(d, r.array<32>());
        out.push_back(*d);
    }
    return out;
}

void encode_digests(codec::Writer& w, const std::vector<Digest>& digests, uint32_t max) {
    w.sequence(std::span<const Digest>(digests), max, [](codec::Writer& out, const Digest& d) { out.fixed(d); });
}

}  // namespace

void Header::encode(codec::Writer& w) const {
    encode_header_fields(w, *this);
    w.fixed(signature);
}

Result<Header, codec::DecodeError> Header::decode(codec::Reader& r) {
    Header h;
    CONSENSUS_TRY(epoch, r.u64());
    h.epoch = *epoch;
    CONSENSUS_TRY(round, r.u64());
    h.round = *round;
    CONSENSUS_TRY(author, r.u16());
    h.author = *author;
    CONSENSUS_TRY(created, r.u64());
    h.created_at_ms = *created;
    CONSENSUS_TRY(count, r.count(header_payload_max, 36));
    h.payload.reserve(*count);
    for (uint32_t i = 0; i < *count; ++i) {
        CONSENSUS_TRY(d, r.array<32>());
        CONSENSUS_TRY(worker, r.u32());
        h.payload.push_back(PayloadEntry{*d, *worker});
    }
    CONSENSUS_TRY(parents, decode_digests(r, static_cast<uint32_t>(committee_size_max)));
    for (size_t i = 1; i < parents->size(); ++i) {
        if (!((*parents)[i - 1] < (*parents)[i])) return fail(codec::DecodeError::invalid_value);
    }
    h.parents = std::move(*parents);
    CONSENSUS_TRY(signature, r.array<crypto::bls::signature_size>());
    h.signature = *signature;
    return h;
}

Bytes Header::signed_encoding() const {
    codec::Writer w;
    encode_header_fields(w, *this);
    return w.take();
}

Digest Header::digest() const { return crypto::object_digest("consensus-header", signed_encoding()); }

// ---- vote -----------------------------------------------------------------------------------------

void Vote::encode(codec::Writer& w) const {
    w.u64(epoch);
    w.u64(round);
    w.u16(origin);
    w.fixed(header);
    w.u16(voter);
    w.fixed(signature);
}

Result<Vote, codec::DecodeError> Vote::decode(codec::Reader& r) {
    Vote v;
    CONSENSUS_TRY(epoch, r.u64());
    v.epoch = *epoch;
    CONSENSUS_TRY(round, r.u64());
    v.round = *round;
    CONSENSUS_TRY(origin, r.u16());
    v.origin = *origin;
    CONSENSUS_TRY(header, r.array<32>());
    v.header = *header;
    CONSENSUS_TRY(voter, r.u16());
    v.voter = *voter;
    CONSENSUS_TRY(signature, r.array<crypto::bls::signature_size>());
    v.signature = *signature;
    return v;
}

// ---- certificate ----------------------------------------------------------------------------------

void Certificate::encode(codec::Writer& w) const {
    header.encode(w);
    w.bytes(signers, signer_bitmap_bytes_max);
    w.fixed(aggregate_signature);
}

Result<Certificate, codec::DecodeError> Certificate::decode(codec::Reader& r) {
    Certificate c;
    CONSENSUS_TRY(header, Header::decode(r));
    c.header = std::move(*header);
    CONSENSUS_TRY(signers, r.bytes(signer_bitmap_bytes_max));
    c.signers.assign(signers->begin(), signers->end());
    CONSENSUS_TRY(signature, r.array<crypto::bls::signature_size>());
    c.aggregate_signature = *signature;
    return c;
}

CertificatePtr make_vertex(Certificate certificate) {
    auto vertex = std::make_shared<CertifiedVertex>();
    vertex->digest = certificate.header.digest();
    vertex->certificate = std::move(certificate);
    return vertex;
}

size_t encoded_size(const Certificate& c) noexcept {
    const size_t header = 8 + 8 + 2 + 8 + 4 + 36 * c.header.payload.size() + 4 + 32 * c.header.parents.size() +
                          crypto::bls::signature_size;
    return header + 4 + c.signers.size() + crypto::bls::signature_size;
}

std::vector<CertificatePtr> genesis(const Committee& committee) {
    std::vector<CertificatePtr> out;
    for (size_t i = 0; i < committee.size(); ++i) {
        Certificate c;
        c.header.epoch = committee.epoch();
        c.header.round = 0;
        c.header.author = static_cast<AuthorityIndex>(i);
        c.signers = signer_bitmap(committee.size(), {});
        out.push_back(make_vertex(std::move(c)));
    }
    return out;
}

ledger::ConsensusStatement header_statement(const Committee& committee, const Header& header, const Digest& digest) {
    ledger::ConsensusStatement s;
    s.kind = ledger::StatementKind::header;
    s.epoch = header.epoch;
    s.round = header.round;
    s.origin = committee.member(header.author).consensus_key.bytes();
    s.subject = digest;
    return s;
}

ledger::ConsensusStatement vote_statement(const Committee& committee, uint64_t epoch, Round round,
                                          AuthorityIndex origin, const Digest& header_digest) {
    ledger::ConsensusStatement s;
    s.kind = ledger::StatementKind::vote;
    s.epoch = epoch;
    s.round = round;
    s.origin = committee.member(origin).consensus_key.bytes();
    s.subject = header_digest;
    return s;
}

Bytes signer_bitmap(size_t committee_size, std::span<const AuthorityIndex> signers) {
    Bytes bitmap((committee_size + 7) / 8, 0);
    for (AuthorityIndex i : signers) {
        FLEEK_ASSERT(i < committee_size);
        bitmap[i / 8] = static_cast<uint8_t>(bitmap[i / 8] | (1u << (i % 8)));
    }
    return bitmap;
}

std::optional<std::vector<AuthorityIndex>> bitmap_signers(size_t committee_size, ByteSpan bitmap) {
    if (bitmap.size() != (committee_size + 7) / 8) return std::nullopt;
    std::vector<AuthorityIndex> out;
    for (size_t i = 0; i < bitmap.size() * 8; ++i) {
        if (bitmap[i / 8] & (1u << (i % 8))) {
            if (i >= committee_size) return std::nullopt;
            out.push_back(static_cast<AuthorityIndex>(i));
        }
    }
    return out;
}

// ---- messages -------------------------------------------------------------------------------------

namespace {

struct MessageEncoder {
    codec::Writer& w;
    void operator()(const Header& m) const {
        w.tag(static_cast<uint8_t>(MessageTag::header));
        m.encode(w);
    }
    void operator()(const Vote& m) const {
        w.tag(static_cast<uint8_t>(MessageTag::vote));
        m.encode(w);
    }
    void operator()(const Certificate& m) const {
        w.tag(static_cast<uint8_t>(MessageTag::certificate));
        m.encode(w);
    }
    void operator()(const CertificatesRequest& m) const {
        w.tag(static_cast<uint8_t>(MessageTag::certificates_request));
        w.u64(m.epoch);
        encode_digests(w, m.digests, request_digests_max);
    }
    void operator()(const CertificateRangeRequest& m) const {
        w.tag(static_cast<uint8_t>(MessageTag::certificate_range_request));
        w.u64(m.epoch);
        w.u64(m.from_round);
        w.sequence(std::span<const Bytes>(m.have), range_rounds_max,
                   [](codec::Writer& out, const Bytes& b) { out.bytes(b, signer_bitmap_bytes_max); });
        w.u32(m.max_certificates);
        w.u32(m.max_bytes);
    }
    void operator()(const CertificatesResponse& m) const {
        w.tag(static_cast<uint8_t>(MessageTag::certificates_response));
        w.u64(m.epoch);
        w.sequence(std::span<const Certificate>(m.certificates), response_certificates_max,
                   [](codec::Writer& out, const Certificate& c) { c.encode(out); });
    }
    void operator()(const BatchMessage& m) const {
        w.tag(static_cast<uint8_t>(MessageTag::batch));
        w.u64(m.epoch);
        m.batch.encode(w);
    }
    void operator()(const BatchAck& m) const {
        w.tag(static_cast<uint8_t>(MessageTag::batch_ack));
        w.u64(m.epoch);
        w.fixed(m.digest);
    }
    void operator()(const BatchRequest& m) const {
        w.tag(static_cast<uint8_t>(MessageTag::batch_request));
        w.u64(m.epoch);
        encode_digests(w, m.digests, request_digests_max);
    }
    void operator()(const BatchResponse& m) const {
        w.tag(static_cast<uint8_t>(MessageTag::batch_response));
        w.u64(m.epoch);
        w.sequence(std::span<const Batch>(m.batches), response_batches_max,
                   [](codec::Writer& out, const Batch& b) { b.encode(out); });
    }
};

Result<Message, codec::DecodeError> decode_body(codec::Reader& r, uint8_t tag) {
    switch (static_cast<MessageTag>(tag)) {
        case MessageTag::header: {
            CONSENSUS_TRY(m, Header::decode(r));
            return Message(std::move(*m));
        }
        case MessageTag::vote: {
            CONSENSUS_TRY(m, Vote::decode(r));
            return Message(std::move(*m));
        }
        case MessageTag::certificate: {
            CONSENSUS_TRY(m, Certificate::decode(r));
            return Message(std::move(*m));
        }
        case MessageTag::certificates_request: {
            CertificatesRequest m;
            CONSENSUS_TRY(epoch, r.u64());
            m.epoch = *epoch;
            CONSENSUS_TRY(digests, decode_digests(r, request_digests_max));
            m.digests = std::move(*digests);
            return Message(std::move(m));
        }
        case MessageTag::certificate_range_request: {
            CertificateRangeRequest m;
            CONSENSUS_TRY(epoch, r.u64());
            m.epoch = *epoch;
            CONSENSUS_TRY(from, r.u64());
            m.from_round = *from;
            CONSENSUS_TRY(count, r.count(range_rounds_max, 4));
            for (uint32_t i = 0; i < *count; ++i) {
                CONSENSUS_TRY(b, r.bytes(signer_bitmap_bytes_max));
                m.have.emplace_back(b->begin(), b->end());
            }
            CONSENSUS_TRY(max_certificates, r.u32());
            m.max_certificates = *max_certificates;
            CONSENSUS_TRY(max_bytes, r.u32());
            m.max_bytes = *max_bytes;
            return Message(std::move(m));
        }
        case MessageTag::certificates_response: {
            CertificatesResponse m;
            CONSENSUS_TRY(epoch, r.u64());
            m.epoch = *epoch;
            CONSENSUS_TRY(count, r.count(response_certificates_max, 8 + 8 + 2 + 8 + 4 + 4 + 48 + 4 + 48));
            for (uint32_t i = 0; i < *count; ++i) {
                CONSENSUS_TRY(c, Certificate::decode(r));
                m.certificates.push_back(std::move(*c));
            }
            return Message(std::move(m));
        }
        case MessageTag::batch: {
            BatchMessage m;
            CONSENSUS_TRY(epoch, r.u64());
            m.epoch = *epoch;
            CONSENSUS_TRY(batch, Batch::decode(r));
            m.batch = std::move(*batch);
            return Message(std::move(m));
        }
        case MessageTag::batch_ack: {
            BatchAck m;
            CONSENSUS_TRY(epoch, r.u64());
            m.epoch = *epoch;
            CONSENSUS_TRY(d, r.array<32>());
            m.digest = *d;
            return Message(std::move(m));
        }
        case MessageTag::batch_request: {
            BatchRequest m;
            CONSENSUS_TRY(epoch, r.u64());
            m.epoch = *epoch;
            CONSENSUS_TRY(digests, decode_digests(r, request_digests_max));
            m.digests = std::move(*digests);
            return Message(std::move(m));
        }
        case MessageTag::batch_response: {
            BatchResponse m;
            CONSENSUS_TRY(epoch, r.u64());
            m.epoch = *epoch;
            CONSENSUS_TRY(count, r.count(response_batches_max, 4));
            for (uint32_t i = 0; i < *count; ++i) {
                CONSENSUS_TRY(b, Batch::decode(r));
                m.batches.push_back(std::move(*b));
            }
            return Message(std::move(m));
        }
    }
    return fail(codec::DecodeError::unknown_tag);
}

}  // namespace

Bytes encode_message(const Message& message) {
    codec::Writer w;
    std::visit(MessageEncoder{w}, message);
    return w.take();
}

Result<Message, codec::DecodeError> decode_message(ByteSpan bytes) {
    codec::Reader r(bytes);
    CONSENSUS_TRY(tag, r.u8());
    const bool known = *tag <= static_cast<uint8_t>(MessageTag::certificates_response) ||
                       (*tag >= static_cast<uint8_t>(MessageTag::batch) &&
                        *tag <= static_cast<uint8_t>(MessageTag::batch_response));
    if (!known) return fail(codec::DecodeError::unknown_tag);
    CONSENSUS_TRY(message, decode_body(r, *tag));
    CONSENSUS_TRY(done, r.finish());
    return std::move(*message);
}

Plane plane_of(const Message& message) noexcept {
    return message.index() >= 6 ? Plane::worker : Plane::primary;
}

uint64_t epoch_of(const Message& message) noexcept {
    return std::visit(
        [](const auto& m) -> uint64_t {
            if constexpr (requires { m.header.epoch; }) {
                return m.header.epoch;
            } else {
                return m.epoch;
            }
        },
        message);
}

}  // namespace fleek::consensus
