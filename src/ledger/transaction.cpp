#include "ledger/transaction.h"

namespace fleek::ledger {

namespace {

template <class T>
struct MethodName;
#define FLEEK_METHOD_NAME(Type) \
    template <>                 \
    struct MethodName<Type> {   \
        static constexpr std::string_view value = #Type; \
    };
FLEEK_METHOD_NAME(Transfer)
FLEEK_METHOD_NAME(Withdraw)
FLEEK_METHOD_NAME(Mint)
FLEEK_METHOD_NAME(Stake)
FLEEK_METHOD_NAME(StakeLock)
FLEEK_METHOD_NAME(Unstake)
FLEEK_METHOD_NAME(WithdrawUnstaked)
FLEEK_METHOD_NAME(OptIn)
FLEEK_METHOD_NAME(OptOut)
FLEEK_METHOD_NAME(ApproveClientKey)
FLEEK_METHOD_NAME(RevokeClientKey)
FLEEK_METHOD_NAME(ChangeEpoch)
FLEEK_METHOD_NAME(BeaconCommit)
FLEEK_METHOD_NAME(BeaconReveal)
FLEEK_METHOD_NAME(BeaconCommitTimeout)
FLEEK_METHOD_NAME(BeaconRevealTimeout)
FLEEK_METHOD_NAME(SubmitReputationMeasurements)
FLEEK_METHOD_NAME(SubmitDeliveryAcknowledgments)
FLEEK_METHOD_NAME(UpdateContentRegistry)
FLEEK_METHOD_NAME(AddService)
FLEEK_METHOD_NAME(RemoveService)
FLEEK_METHOD_NAME(ChangeProtocolParam)
FLEEK_METHOD_NAME(Slash)
FLEEK_METHOD_NAME(IncrementNonce)
FLEEK_METHOD_NAME(UpdateNodeInfo)
#undef FLEEK_METHOD_NAME

}  // namespace

std::string_view method_name(const Method& method) noexcept {
    return std::visit([](const auto& m) { return MethodName<std::decay_t<decltype(m)>>::value; }, method);
}

Hash32 Transaction::digest() const { return crypto::object_digest("transaction", codec::encode(*this)); }

size_t signature_size_for(const Sender& sender) noexcept {
    switch (sender.index()) {
        case 0: return crypto::ed25519::signature_size;
        case 1: return crypto::bls::signature_size;
        default: return crypto::ethereum::signature_size;
    }
}

void SignedTransaction::encode(codec::Writer& w) const {
    transaction.encode(w);
    w.bytes(signature, crypto::ethereum::signature_size);
}

Result<SignedTransaction, codec::DecodeError> SignedTransaction::decode(codec::Reader& r) {
    SignedTransaction out;
    auto transaction = Transaction::decode(r);
    if (!transaction) return fail(transaction.error());
    out.transaction = std::move(*transaction);
    auto signature = r.bytes(crypto::ethereum::signature_size);
    if (!signature) return fail(signature.error());
    if (signature->size() != signature_size_for(out.transaction.sender)) return fail(codec::DecodeError::invalid_value);
    out.signature.assign(signature->begin(), signature->end());
    return out;
}

SignedTransaction sign_transaction(Transaction transaction, const crypto::NodeSecretKey& key) {
    transaction.sender = NodeSender{key.public_key().bytes()};
    const Hash32 digest = transaction.digest();
    const auto signature = key.sign(digest).bytes();
    return SignedTransaction{std::move(transaction), Bytes(signature.begin(), signature.end())};
}

SignedTransaction sign_transaction(Transaction transaction, const crypto::ConsensusSecretKey& key) {
    transaction.sender = ConsensusSender{key.public_key().bytes()};
    const Hash32 digest = transaction.digest();
    const auto signature = key.sign(digest).bytes();
    return SignedTransaction{std::move(transaction), Bytes(signature.begin(), signature.end())};
}

SignedTransaction sign_transaction(Transaction transaction, const crypto::AccountSecretKey& key) {
    transaction.sender = AccountSender{key.address().bytes()};
    const Hash32 digest = transaction.digest();
    const auto signature = key.personal_sign(digest).to_bytes();
    return SignedTransaction{std::move(transaction), Bytes(signature.begin(), signature.end())};
}

bool verify_transaction_signature(const SignedTransaction& signed_transaction, const Hash32& digest) {
    const Sender& sender = signed_transaction.transaction.sender;
    if (signed_transaction.signature.size() != signature_size_for(sender)) return false;
    if (const auto* node = std::get_if<NodeSender>(&sender)) {
        auto key = crypto::NodePublicKey::from_bytes(node->key);
        auto signature = crypto::NodeSignature::from_bytes(signed_transaction.signature);
        return key && signature && key->verify(digest, *signature);
    }
    if (const auto* consensus = std::get_if<ConsensusSender>(&sender)) {
        auto key = crypto::ConsensusPublicKey::from_bytes(consensus->key);
        auto signature = crypto::ConsensusSignature::from_bytes(signed_transaction.signature);
        return key && signature && key->verify(digest, *signature);
    }
    const auto& account = std::get<AccountSender>(sender);
    auto signature = crypto::AccountSignature::from_bytes(signed_transaction.signature);
    if (!signature) return false;
    auto recovered = crypto::ethereum::recover_personal_sign(digest, *signature);
    return recovered && recovered->bytes() == account.address;
}

Hash32 node_registration_digest(uint64_t chain_id, const AddressBytes& owner, const NodeKeyBytes& node_key,
                                const ConsensusKeyBytes& consensus_key) {
    codec::Writer w;
    w.u64(chain_id);
    w.fixed(owner);
    w.fixed(node_key);
    w.fixed(consensus_key);
    return crypto::object_digest("node-registration", w.view());
}

NodeRegistration make_node_registration(uint64_t chain_id, const AddressBytes& owner, const crypto::NodeSecretKey& node_key,
                                        const crypto::ConsensusSecretKey& consensus_key, std::string domain,
                                        const NodePorts& ports) {
    NodeRegistration out;
    out.consensus_key = consensus_key.public_key().bytes();
    out.consensus_pop = consensus_key.prove_possession().bytes();
    const Hash32 digest = node_registration_digest(chain_id, owner, node_key.public_key().bytes(), out.consensus_key);
    out.consensus_signature = consensus_key.sign(digest).bytes();
    out.node_signature = node_key.sign(digest).bytes();
    out.domain = std::move(domain);
    out.ports = ports;
    return out;
}

Result<void, TxError> verify_node_registration(uint64_t chain_id, const AddressBytes& owner, const NodeKeyBytes& node_key,
                                               const NodeRegistration& registration) {
    auto node_public = crypto::NodePublicKey::from_bytes(node_key);
    if (!node_public) return fail(TxError::invalid_registration_signature);
    auto consensus_public = crypto::ConsensusPublicKey::from_bytes(registration.consensus_key);
    if (!consensus_public) return fail(TxError::invalid_consensus_key);
    auto pop = crypto::ConsensusSignature::from_bytes(registration.consensus_pop);
    if (!pop || !consensus_public->verify_possession(*pop)) return fail(TxError::invalid_proof_of_possession);
    const Hash32 digest = node_registration_digest(chain_id, owner, node_key, registration.consensus_key);
    auto consensus_signature = crypto::ConsensusSignature::from_bytes(registration.consensus_signature);
    if (!consensus_signature || !consensus_public->verify(digest, *consensus_signature)) {
        return fail(TxError::invalid_registration_signature);
    }
    auto node_signature = crypto::NodeSignature::from_bytes(registration.node_signature);
    if (!node_signature || !node_public->verify(digest, *node_signature)) {
        return fail(TxError::invalid_registration_signature);
    }
    return {};
}

}  // namespace fleek::ledger
