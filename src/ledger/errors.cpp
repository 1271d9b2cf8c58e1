#include "ledger/errors.h"

namespace fleek::ledger {

std::string_view to_string(TxError error) noexcept {
    switch (error) {
        case TxError::none: return "none";
        case TxError::malformed: return "malformed";
        case TxError::too_large: return "too_large";
        case TxError::wrong_chain_id: return "wrong_chain_id";
        case TxError::unknown_sender: return "unknown_sender";
        case TxError::bad_nonce: return "bad_nonce";
        case TxError::bad_signature: return "bad_signature";
        case TxError::already_executed: return "already_executed";
        case TxError::only_account: return "only_account";
        case TxError::only_node: return "only_node";
        case TxError::only_governance: return "only_governance";
        case TxError::insufficient_balance: return "insufficient_balance";
        case TxError::zero_amount: return "zero_amount";
        case TxError::self_transfer: return "self_transfer";
        case TxError::invalid_token: return "invalid_token";
        case TxError::amount_overflow: return "amount_overflow";
        case TxError::already_minted: return "already_minted";
        case TxError::node_not_found: return "node_not_found";
        case TxError::not_node_owner: return "not_node_owner";
        case TxError::node_key_already_registered: return "node_key_already_registered";
        case TxError::consensus_key_already_registered: return "consensus_key_already_registered";
        case TxError::invalid_consensus_key: return "invalid_consensus_key";
        case TxError::invalid_proof_of_possession: return "invalid_proof_of_possession";
        case TxError::invalid_registration_signature: return "invalid_registration_signature";
        case TxError::missing_registration: return "missing_registration";
        case TxError::invalid_domain: return "invalid_domain";
        case TxError::invalid_ports: return "invalid_ports";
        case TxError::no_stake: return "no_stake";
        case TxError::lock_exceeds_max: return "lock_exceeds_max";
        case TxError::stake_locked: return "stake_locked";
        case TxError::no_locked_tokens: return "no_locked_tokens";
        case TxError::locked_tokens_not_matured: return "locked_tokens_not_matured";
        case TxError::insufficient_stake: return "insufficient_stake";
        case TxError::not_participating: return "not_participating";
        case TxError::client_key_already_approved: return "client_key_already_approved";
        case TxError::client_key_not_approved: return "client_key_not_approved";
        case TxError::too_many_client_keys: return "too_many_client_keys";
        case TxError::invalid_client_key: return "invalid_client_key";
        case TxError::not_committee_member: return "not_committee_member";
        case TxError::wrong_epoch: return "wrong_epoch";
        case TxError::epoch_not_ended: return "epoch_not_ended";
        case TxError::already_signaled: return "already_signaled";
        case TxError::beacon_wrong_phase: return "beacon_wrong_phase";
        case TxError::beacon_wrong_round: return "beacon_wrong_round";
        case TxError::beacon_already_committed: return "beacon_already_committed";
        case TxError::beacon_not_committed: return "beacon_not_committed";
        case TxError::beacon_already_revealed: return "beacon_already_revealed";
        case TxError::beacon_invalid_reveal: return "beacon_invalid_reveal";
        case TxError::beacon_non_revealer: return "beacon_non_revealer";
        case TxError::phase_not_expired: return "phase_not_expired";
        case TxError::too_many_submissions: return "too_many_submissions";
        case TxError::invalid_measurement: return "invalid_measurement";
        case TxError::unknown_peer: return "unknown_peer";
        case TxError::receipt_wrong_node: return "receipt_wrong_node";
        case TxError::receipt_bad_signature: return "receipt_bad_signature";
        case TxError::receipt_client_key_not_approved: return "receipt_client_key_not_approved";
        case TxError::receipt_wrong_epoch: return "receipt_wrong_epoch";
        case TxError::receipt_wrong_chain: return "receipt_wrong_chain";
        case TxError::receipt_unknown_service: return "receipt_unknown_service";
        case TxError::receipt_session_mismatch: return "receipt_session_mismatch";
        case TxError::content_already_registered: return "content_already_registered";
        case TxError::content_not_registered: return "content_not_registered";
        case TxError::duplicate_content_update: return "duplicate_content_update";
        case TxError::service_exists: return "service_exists";
        case TxError::service_not_found: return "service_not_found";
        case TxError::not_service_owner: return "not_service_owner";
        case TxError::invalid_param_value: return "invalid_param_value";
        case TxError::evidence_invalid_signature_encoding: return "evidence_invalid_signature_encoding";
        case TxError::evidence_bad_signature: return "evidence_bad_signature";
        case TxError::evidence_not_conflicting: return "evidence_not_conflicting";
        case TxError::evidence_wrong_signer: return "evidence_wrong_signer";
        case TxError::evidence_already_used: return "evidence_already_used";
        case TxError::evidence_from_future_epoch: return "evidence_from_future_epoch";
        case TxError::empty_batch: return "empty_batch";
        case TxError::batch_too_large: return "batch_too_large";
        case TxError::invalid_price: return "invalid_price";
        case TxError::too_many_unlocks: return "too_many_unlocks";
        case TxError::evidence_expired: return "evidence_expired";
    }
    return "unknown";
}

std::string_view to_string(BlockError error) noexcept {
    switch (error) {
        case BlockError::wrong_height: return "wrong_height";
        case BlockError::wrong_epoch: return "wrong_epoch";
        case BlockError::timestamp_regressed: return "timestamp_regressed";
        case BlockError::too_many_transactions: return "too_many_transactions";
        case BlockError::too_large: return "too_large";
        case BlockError::storage: return "storage";
    }
    return "unknown";
}

}  // namespace fleek::ledger
