// Narwhal objects and the consensus wire messages (docs/formats/consensus-messages.md).
//
//   Batch        length-framed transactions; digest = object_digest("consensus-batch", encoding)
//   Header       {epoch, round, author, created_at_ms, payload [(batch digest, worker id)],
//                 parents [certificate digests, strictly ascending], signature}
//                digest = object_digest("consensus-header", encoding without the signature)
//   Vote         {epoch, round, origin, header digest, voter, signature}
//   Certificate  {header, signer bitmap, aggregate signature}; its digest IS the header digest,
//                so it does not cover the signatures and every signer set names the same vertex.
//
// Signatures are BLS signatures over ledger::ConsensusStatement (src/ledger/consensus_statement.h):
// a header signs {header, epoch, round, author key, header digest}, a vote signs
// {vote, epoch, round, author key, header digest}. Votes do not name the voter in what they
// sign, so 2f+1 of them aggregate into the one certificate signature.
#pragma once

#include "codec/codec.h"
#include "crypto/hash.h"
#include "crypto/keys.h"
#include "ledger/consensus_statement.h"
#include "util/quorum.h"
#include "util/result.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <variant>
#include <vector>

namespace fleek::consensus {

using Digest = crypto::Hash32;
using Round = uint64_t;
using AuthorityIndex = uint16_t;
using WorkerId = uint32_t;
using TimeUs = uint64_t;  // microseconds of the node's local clock (injected, never read inside)
using SignatureBytes = ByteArray<crypto::bls::signature_size>;

// Format limits (decoders reject anything larger).
inline constexpr size_t committee_size_max = 256;
inline constexpr uint32_t signer_bitmap_bytes_max = committee_size_max / 8;
inline constexpr uint32_t transaction_bytes_max = 256 * 1024;
inline constexpr uint32_t batch_transactions_max = 1 << 20;
inline constexpr uint32_t header_payload_max = 1024;
inline constexpr uint32_t request_digests_max = 1024;
inline constexpr uint32_t response_certificates_max = 1024;
inline constexpr uint32_t response_batches_max = 64;
inline constexpr uint32_t range_rounds_max = 256;
// One worker per authority for now (worker id 0); the payload index is still keyed by the pair
// (digest, worker id) so a header cannot claim a batch on a worker that does not hold it.
inline constexpr WorkerId workers_per_authority = 1;

// ---- committee ----------------------------------------------------------------------------------

struct Member {
    crypto::NodePublicKey node_key;            // transport identity (Ed25519)
    crypto::ConsensusPublicKey consensus_key;  // signs headers and votes (BLS12-381 min-sig)
};

enum class CommitteeError : uint8_t { empty, too_large, duplicate_key };
std::string_view to_string(CommitteeError error) noexcept;

// The members of one epoch's consensus instance, equal stake, in canonical order: sorted by
// consensus public key bytes. An authority's index is its position in that order.
class Committee {
public:
    static Result<Committee, CommitteeError> create(uint64_t epoch, std::vector<Member> members);

    uint64_t epoch() const noexcept { return m_epoch; }
    size_t size() const noexcept { return m_members.size(); }
    const Member& member(AuthorityIndex index) const { return m_members.at(index); }
    const std::vector<Member>& members() const noexcept { return m_members; }
    std::optional<AuthorityIndex> index_of(const crypto::ConsensusPublicKey& key) const;
    bool contains(AuthorityIndex index) const noexcept { return index < m_members.size(); }

    // Thresholds by stake, one unit per member (util/quorum.h): quorum = floor(2n/3)+1 (2f+1
    // when n = 3f+1), validity = f+1.
    size_t quorum() const noexcept { return static_cast<size_t>(quorum_weight(m_members.size())); }
    size_t validity() const noexcept { return static_cast<size_t>(validity_weight(m_members.size())); }

    // The Bullshark leader of an even round >= 2: the first 8 bytes (little-endian) of
    // object_digest("consensus-leader", u64 epoch || u64 round) modulo n. Every node computes
    // the same function; odd rounds and round 0 have no leader (the function is not called).
    AuthorityIndex leader(Round round) const;

private:
    Committee(uint64_t epoch, std::vector<Member> members) : m_epoch(epoch), m_members(std::move(members)) {}
    uint64_t m_epoch = 0;
    std::vector<Member> m_members;
};

// ---- batches --------------------------------------------------------------------------------------

struct Batch {
    std::vector<Bytes> transactions;

    friend bool operator==(const Batch&, const Batch&) = default;
    void encode(codec::Writer& w) const;
    static Result<Batch, codec::DecodeError> decode(codec::Reader& r);
    size_t payload_bytes() const noexcept;
};

// Digest of a batch: over its encoding, which frames every transaction with its length.
Digest batch_digest(const Batch& batch);
Digest batch_digest_of_encoding(ByteSpan encoding);

// ---- headers, votes, certificates ---------------------------------------------------------------

struct PayloadEntry {
    Digest batch{};
    WorkerId worker = 0;
    friend bool operator==(const PayloadEntry&, const PayloadEntry&) = default;
    friend auto operator<=>(const PayloadEntry&, const PayloadEntry&) = default;
};

struct Header {
    uint64_t epoch = 0;
    Round round = 0;
    AuthorityIndex author = 0;
    uint64_t created_at_ms = 0;  // the author's clock; only informs commit timestamps
    std::vector<PayloadEntry> payload;
    std::vector<Digest> parents;  // strictly ascending
    SignatureBytes signature{};

    friend bool operator==(const Header&, const Header&) = default;
    void encode(codec::Writer& w) const;
    static Result<Header, codec::DecodeError> decode(codec::Reader& r);
    // Encoding of every field but the signature.
    Bytes signed_encoding() const;
    Digest digest() const;
};

struct Vote {
    uint64_t epoch = 0;
    Round round = 0;
    AuthorityIndex origin = 0;  // the header's author
    Digest header{};
    AuthorityIndex voter = 0;
    SignatureBytes signature{};

    friend bool operator==(const Vote&, const Vote&) = default;
    void encode(codec::Writer& w) const;
    static Result<Vote, codec::DecodeError> decode(codec::Reader& r);
};

struct Certificate {
    Header header;
    Bytes signers;  // bitmap: bit i of byte i/8 is authority i; exactly ceil(n/8) bytes
    SignatureBytes aggregate_signature{};

    friend bool operator==(const Certificate&, const Certificate&) = default;
    void encode(codec::Writer& w) const;
    static Result<Certificate, codec::DecodeError> decode(codec::Reader& r);

    Round round() const noexcept { return header.round; }
    AuthorityIndex author() const noexcept { return header.author; }
};

// A certificate with its digest computed once; shared by the DAG, consensus and the output.
struct CertifiedVertex {
    Certificate certificate;
    Digest digest{};
    Round round() const noexcept { return certificate.header.round; }
    AuthorityIndex author() const noexcept { return certificate.header.author; }
    const std::vector<Digest>& parents() const noexcept { return certificate.header.parents; }
};
using CertificatePtr = std::shared_ptr<const CertifiedVertex>;
CertificatePtr make_vertex(Certificate certificate);

// Genesis: one certificate per authority at round 0 with an empty header and no signers.
// Computed locally by every node and never sent.
std::vector<CertificatePtr> genesis(const Committee& committee);

// What a header's author and its voters sign.
ledger::ConsensusStatement header_statement(const Committee& committee, const Header& header, const Digest& digest);
ledger::ConsensusStatement vote_statement(const Committee& committee, uint64_t epoch, Round round,
                                          AuthorityIndex origin, const Digest& header_digest);

Bytes signer_bitmap(size_t committee_size, std::span<const AuthorityIndex> signers);
// The signer indices of a bitmap, or nothing when it has the wrong size or names a
// non-member (bits past the committee size).
std::optional<std::vector<AuthorityIndex>> bitmap_signers(size_t committee_size, ByteSpan bitmap);

// ---- messages -------------------------------------------------------------------------------------

enum class Plane : uint8_t { primary = 0, worker = 1 };

struct CertificatesRequest {
    uint64_t epoch = 0;
    std::vector<Digest> digests;
    friend bool operator==(const CertificatesRequest&, const CertificatesRequest&) = default;
};

// "Send me the certificates of rounds >= from_round that I do not have": have[i] is the signer-
// style bitmap of authorities whose certificate of round from_round+i the requester holds.
struct CertificateRangeRequest {
    uint64_t epoch = 0;
    Round from_round = 0;
    std::vector<Bytes> have;
    friend bool operator==(const CertificateRangeRequest&, const CertificateRangeRequest&) = default;
};

struct CertificatesResponse {
    uint64_t epoch = 0;
    std::vector<Certificate> certificates;
    friend bool operator==(const CertificatesResponse&, const CertificatesResponse&) = default;
};

struct BatchMessage {
    uint64_t epoch = 0;
    Batch batch;
    friend bool operator==(const BatchMessage&, const BatchMessage&) = default;
};

struct BatchAck {
    uint64_t epoch = 0;
    Digest digest{};
    friend bool operator==(const BatchAck&, const BatchAck&) = default;
};

struct BatchRequest {
    uint64_t epoch = 0;
    std::vector<Digest> digests;
    friend bool operator==(const BatchRequest&, const BatchRequest&) = default;
};

struct BatchResponse {
    uint64_t epoch = 0;
    std::vector<Batch> batches;
    friend bool operator==(const BatchResponse&, const BatchResponse&) = default;
};

// Tags: primary plane 0..5, worker plane 16..19.
enum class MessageTag : uint8_t {
    header = 0,
    vote = 1,
    certificate = 2,
    certificates_request = 3,
    certificate_range_request = 4,
    certificates_response = 5,
    batch = 16,
    batch_ack = 17,
    batch_request = 18,
    batch_response = 19,
};

using Message = std::variant<Header, Vote, Certificate, CertificatesRequest, CertificateRangeRequest,
                             CertificatesResponse, BatchMessage, BatchAck, BatchRequest, BatchResponse>;

Bytes encode_message(const Message& message);
Result<Message, codec::DecodeError> decode_message(ByteSpan bytes);
Plane plane_of(const Message& message) noexcept;
uint64_t epoch_of(const Message& message) noexcept;

}  // namespace fleek::consensus
