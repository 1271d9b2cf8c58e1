// Transactions: the envelope, every method, the digest and signatures
// (docs/formats/ledger-transactions.md).
//
//   Transaction       = { sender, nonce u64, chain_id u64, method }
//   digest            = object_digest("transaction", canonical encoding of the Transaction)
//   SignedTransaction = Transaction ‖ signature (bytes: 64 node, 48 consensus, 65 account)
//
// Senders sign the 32-byte digest: a node key with Ed25519, a consensus key with BLS (signature
// DST of keys.md), an account key as EIP-191 personal_sign (so any Ethereum wallet can sign).
// Consensus treats the encoded SignedTransaction as opaque bytes.
#pragma once

#include "crypto/keys.h"
#include "ledger/consensus_statement.h"
#include "ledger/delivery.h"
#include "ledger/errors.h"
#include "ledger/types.h"

#include <variant>

namespace fleek::ledger {

inline constexpr size_t transaction_size_max = 1 << 20;
// What the decoder accepts (memory bound) ...
inline constexpr uint32_t delivery_receipts_decode_max = 4096;
inline constexpr uint32_t content_updates_decode_max = 1024;
inline constexpr uint32_t measurements_decode_max = 16384;
// ... and what execution accepts (a larger batch reverts with batch_too_large).
// delivery_receipts_per_tx_max (1,000) is in delivery.h.
inline constexpr uint32_t content_updates_per_tx_max = 100;
inline constexpr uint32_t measurements_per_tx_max = 10000;

// ---- senders ---------------------------------------------------------------------------------

struct NodeSender {
    NodeKeyBytes key{};
    template <class V>
    void fields(V& v) {
        v(key);
    }
    friend bool operator==(const NodeSender&, const NodeSender&) = default;
};
struct ConsensusSender {
    ConsensusKeyBytes key{};
    template <class V>
    void fields(V& v) {
        v(key);
    }
    friend bool operator==(const ConsensusSender&, const ConsensusSender&) = default;
};
struct AccountSender {
    AddressBytes address{};
    template <class V>
    void fields(V& v) {
        v(address);
    }
    friend bool operator==(const AccountSender&, const AccountSender&) = default;
};
using Sender = std::variant<NodeSender, ConsensusSender, AccountSender>;

// ---- methods ---------------------------------------------------------------------------------

#define FLEEK_LEDGER_METHOD(Type, ...)                       \
    template <class V>                                       \
    void fields([[maybe_unused]] V& v) {                     \
        __VA_ARGS__;                                         \
    }                                                        \
    friend bool operator==(const Type&, const Type&) = default;

struct Transfer {
    Token token = Token::flk;
    AddressBytes to{};
    U256 amount = 0;
    FLEEK_LEDGER_METHOD(Transfer, v.tag(token, token_count), v(to), v(amount))
};
// Burns tokens here so a bridge can release them elsewhere; recorded under a withdraw id.
struct Withdraw {
    Token token = Token::flk;
    U256 amount = 0;
    AddressBytes receiver{};  // the receiving address on the other chain
    FLEEK_LEDGER_METHOD(Withdraw, v.tag(token, token_count), v(amount), v(receiver))
};
// Governance-signed until a bridge with verifiable deposit proofs exists: credits `receiver`
// once per bridge transaction hash.
struct Mint {
    Token token = Token::flk;
    U256 amount = 0;
    AddressBytes receiver{};
    Hash32 bridge_tx{};
    FLEEK_LEDGER_METHOD(Mint, v.tag(token, token_count), v(amount), v(receiver), v(bridge_tx))
};
// What a new node proves when it registers (docs/formats/ledger-transactions.md §Stake).
struct NodeRegistration {
    ConsensusKeyBytes consensus_key{};
    BlsSignatureBytes consensus_pop{};        // proof of possession (POP DST over the key)
    BlsSignatureBytes consensus_signature{};  // the consensus key signs the registration digest
    Ed25519SignatureBytes node_signature{};   // the node key signs the registration digest
    std::string domain;
    NodePorts ports;
    FLEEK_LEDGER_METHOD(NodeRegistration, v(consensus_key), v(consensus_pop), v(consensus_signature), v(node_signature),
                        v.str(domain, domain_size_max), v(ports))
};
struct Stake {
    U256 amount = 0;
    NodeKeyBytes node_key{};
    std::optional<NodeRegistration> registration;  // required for a new node, absent otherwise
    FLEEK_LEDGER_METHOD(Stake, v(amount), v(node_key), v.opt(registration))
};
struct StakeLock {
    NodeIndex node = 0;
    uint64_t locked_for_epochs = 0;
    FLEEK_LEDGER_METHOD(StakeLock, v(node), v(locked_for_epochs))
};
struct Unstake {
    NodeIndex node = 0;
    U256 amount = 0;
    FLEEK_LEDGER_METHOD(Unstake, v(node), v(amount))
};
struct WithdrawUnstaked {
    NodeIndex node = 0;
    std::optional<AddressBytes> recipient;  // default: the node's owner
    FLEEK_LEDGER_METHOD(WithdrawUnstaked, v(node), v.opt(recipient))
};
struct OptIn {
    FLEEK_LEDGER_METHOD(OptIn, (void)0)
};
struct OptOut {
    FLEEK_LEDGER_METHOD(OptOut, (void)0)
};
struct ApproveClientKey {
    ClientKeyBytes key{};
    FLEEK_LEDGER_METHOD(ApproveClientKey, v(key))
};
struct RevokeClientKey {
    ClientKeyBytes key{};
    FLEEK_LEDGER_METHOD(RevokeClientKey, v(key))
};
struct ChangeEpoch {
    Epoch epoch = 0;
    FLEEK_LEDGER_METHOD(ChangeEpoch, v(epoch))
};
struct BeaconCommit {
    Epoch epoch = 0;
    uint64_t round = 0;
    Hash32 commitment{};  // beacon_commitment(epoch, round, node index, reveal)
    FLEEK_LEDGER_METHOD(BeaconCommit, v(epoch), v(round), v(commitment))
};
struct BeaconReveal {
    Epoch epoch = 0;
    uint64_t round = 0;
    Hash32 reveal{};
    FLEEK_LEDGER_METHOD(BeaconReveal, v(epoch), v(round), v(reveal))
};
struct BeaconCommitTimeout {
    Epoch epoch = 0;
    uint64_t round = 0;
    FLEEK_LEDGER_METHOD(BeaconCommitTimeout, v(epoch), v(round))
};
struct BeaconRevealTimeout {
    Epoch epoch = 0;
    uint64_t round = 0;
    FLEEK_LEDGER_METHOD(BeaconRevealTimeout, v(epoch), v(round))
};
struct ReputationReport {
    NodeIndex peer = 0;
    Measurements measurements;
    FLEEK_LEDGER_METHOD(ReputationReport, v(peer), v(measurements))
};
struct SubmitReputationMeasurements {
    std::vector<ReputationReport> reports;  // strictly ascending peer indices
    FLEEK_LEDGER_METHOD(SubmitReputationMeasurements, v.seq(reports, measurements_decode_max))
};
struct SubmitDeliveryAcknowledgments {
    std::vector<SignedDeliveryReceipt> receipts;
    FLEEK_LEDGER_METHOD(SubmitDeliveryAcknowledgments, v.seq(receipts, delivery_receipts_decode_max))
};
struct ContentUpdate {
    Hash32 content{};  // BLAKE3 hash of the content
    bool remove = false;
    FLEEK_LEDGER_METHOD(ContentUpdate, v(content), v(remove))
};
struct UpdateContentRegistry {
    std::vector<ContentUpdate> updates;
    FLEEK_LEDGER_METHOD(UpdateContentRegistry, v.seq(updates, content_updates_decode_max))
};
struct AddService {
    ServiceId service_id = 0;
    AddressBytes owner{};
    CommodityType commodity = CommodityType::bandwidth;
    U256 price_per_million_units = 0;
    FLEEK_LEDGER_METHOD(AddService, v(service_id), v(owner), v.tag(commodity, commodity_type_count),
                        v(price_per_million_units))
};
struct RemoveService {
    ServiceId service_id = 0;
    FLEEK_LEDGER_METHOD(RemoveService, v(service_id))
};
struct ChangeProtocolParam {
    ParamId param = ParamId::epoch_time_ms;
    U256 value = 0;
    FLEEK_LEDGER_METHOD(ChangeProtocolParam, v.tag(param, param_id_count), v(value))
};
// Two conflicting statements signed by `node`'s consensus key (consensus_statement.h).
struct Slash {
    NodeIndex node = 0;
    SignedStatement first;
    SignedStatement second;
    FLEEK_LEDGER_METHOD(Slash, v(node), v(first), v(second))
};
struct IncrementNonce {
    FLEEK_LEDGER_METHOD(IncrementNonce, (void)0)
};
// A registered node's new address: sent by the node (node or consensus key) or its owner.
struct UpdateNodeInfo {
    NodeIndex node = 0;
    std::string domain;
    NodePorts ports;
    FLEEK_LEDGER_METHOD(UpdateNodeInfo, v(node), v.str(domain, domain_size_max), v(ports))
};

#undef FLEEK_LEDGER_METHOD

// The tag of each method is its index here: append only.
using Method = std::variant<Transfer, Withdraw, Mint, Stake, StakeLock, Unstake, WithdrawUnstaked, OptIn, OptOut,
                            ApproveClientKey, RevokeClientKey, ChangeEpoch, BeaconCommit, BeaconReveal,
                            BeaconCommitTimeout, BeaconRevealTimeout, SubmitReputationMeasurements,
                            SubmitDeliveryAcknowledgments, UpdateContentRegistry, AddService, RemoveService,
                            ChangeProtocolParam, Slash, IncrementNonce, UpdateNodeInfo>;

std::string_view method_name(const Method& method) noexcept;

// ---- envelope --------------------------------------------------------------------------------

struct Transaction {
    Sender sender = AccountSender{};
    uint64_t nonce = 0;
    uint64_t chain_id = 0;
    Method method = IncrementNonce{};

    template <class V>
    void fields(V& v) {
        v(sender), v(nonce), v(chain_id), v(method);
    }
    FLEEK_LEDGER_CODEC(Transaction)
    friend bool operator==(const Transaction&, const Transaction&) = default;

    Hash32 digest() const;
};

struct SignedTransaction {
    Transaction transaction;
    Bytes signature;  // 64 bytes (node), 48 (consensus) or 65 (account)

    void encode(codec::Writer& w) const;
    // Also refuses a signature whose length does not match the sender (invalid_value).
    static Result<SignedTransaction, codec::DecodeError> decode(codec::Reader& r);
    friend bool operator==(const SignedTransaction&, const SignedTransaction&) = default;

    // The whole wire form as one Bytes value.
    Bytes to_bytes() const { return codec::encode(*this); }
};

size_t signature_size_for(const Sender& sender) noexcept;

// Signing sets the sender from the key.
SignedTransaction sign_transaction(Transaction transaction, const crypto::NodeSecretKey& key);
SignedTransaction sign_transaction(Transaction transaction, const crypto::ConsensusSecretKey& key);
SignedTransaction sign_transaction(Transaction transaction, const crypto::AccountSecretKey& key);

// Checks the signature over `digest` (= transaction.digest()) against the sender named in the
// envelope. For a consensus sender the key is parsed (subgroup check) here.
bool verify_transaction_signature(const SignedTransaction& signed_transaction, const Hash32& digest);

// What the node and consensus keys of a new node sign (Stake registration).
Hash32 node_registration_digest(uint64_t chain_id, const AddressBytes& owner, const NodeKeyBytes& node_key,
                                const ConsensusKeyBytes& consensus_key);

NodeRegistration make_node_registration(uint64_t chain_id, const AddressBytes& owner, const crypto::NodeSecretKey& node_key,
                                        const crypto::ConsensusSecretKey& consensus_key, std::string domain,
                                        const NodePorts& ports);

// Checks a registration's three proofs; returns the failing rule.
Result<void, TxError> verify_node_registration(uint64_t chain_id, const AddressBytes& owner, const NodeKeyBytes& node_key,
                                               const NodeRegistration& registration);

}  // namespace fleek::ledger
