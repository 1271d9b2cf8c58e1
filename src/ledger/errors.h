// Typed errors of the ledger. TxError codes are part of the receipt format
// (docs/formats/ledger-transactions.md): append new codes, never renumber.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace fleek::ledger {

enum class TxError : uint16_t {
    none = 0,
    // ---- rejected before execution: nothing changes, the nonce is not used ----
    malformed = 1,            // the bytes are not a canonical signed transaction
    too_large = 2,            // over transaction_size_max
    wrong_chain_id = 3,
    unknown_sender = 4,       // a node or consensus key that is not registered
    bad_nonce = 5,            // nonce != stored nonce + 1
    bad_signature = 6,
    already_executed = 7,     // the digest was executed before
    // ---- reverted: the nonce is used and the digest recorded, nothing else changes ----
    only_account = 8,
    only_node = 9,
    only_governance = 10,
    insufficient_balance = 11,
    zero_amount = 12,
    self_transfer = 13,
    invalid_token = 14,
    amount_overflow = 15,
    already_minted = 16,
    node_not_found = 17,
    not_node_owner = 18,
    node_key_already_registered = 19,
    consensus_key_already_registered = 20,
    invalid_consensus_key = 21,
    invalid_proof_of_possession = 22,
    invalid_registration_signature = 23,
    missing_registration = 24,
    already_registered = 25,
    invalid_domain = 26,
    invalid_ports = 27,
    no_stake = 28,
    lock_exceeds_max = 29,
    stake_locked = 30,
    no_locked_tokens = 31,
    locked_tokens_not_matured = 32,
    insufficient_stake = 33,
    not_participating = 34,
    client_key_already_approved = 35,
    client_key_not_approved = 36,
    too_many_client_keys = 37,
    invalid_client_key = 38,
    not_committee_member = 39,
    wrong_epoch = 40,
    epoch_not_ended = 41,
    already_signaled = 42,
    beacon_wrong_phase = 43,
    beacon_wrong_round = 44,
    beacon_already_committed = 45,
    beacon_not_committed = 46,
    beacon_already_revealed = 47,
    beacon_invalid_reveal = 48,
    beacon_non_revealer = 49,
    phase_not_expired = 50,
    too_many_submissions = 51,
    invalid_measurement = 52,
    unknown_peer = 53,
    receipt_wrong_node = 54,
    receipt_bad_signature = 55,
    receipt_client_key_not_approved = 56,
    receipt_wrong_epoch = 57,
    receipt_wrong_chain = 58,
    receipt_unknown_service = 59,
    receipt_session_mismatch = 60,
    content_already_registered = 61,
    content_not_registered = 62,
    duplicate_content_update = 63,
    service_exists = 64,
    service_not_found = 65,
    not_service_owner = 66,
    invalid_param_value = 67,
    evidence_invalid_signature_encoding = 68,
    evidence_bad_signature = 69,
    evidence_not_conflicting = 70,
    evidence_wrong_signer = 71,
    evidence_already_used = 72,
    evidence_from_future_epoch = 73,
    empty_batch = 74,
    batch_too_large = 75,
    invalid_price = 76,
};
inline constexpr uint16_t tx_error_count = 77;

std::string_view to_string(TxError error) noexcept;

// Rejected errors leave the sender's nonce unused; all others are reverts.
constexpr bool is_rejection(TxError error) noexcept {
    return error != TxError::none && static_cast<uint16_t>(error) <= static_cast<uint16_t>(TxError::already_executed);
}

// Why a whole block was refused. Nothing changes.
enum class BlockError : uint8_t {
    wrong_height,           // height != last height + 1
    wrong_epoch,            // block names an epoch other than the current one
    timestamp_regressed,    // timestamp earlier than the previous block's
    too_many_transactions,  // over block_transactions_max
    too_large,              // over block_size_max bytes of transactions
    storage,                // the database failed; the block may be retried
};

std::string_view to_string(BlockError error) noexcept;

}  // namespace fleek::ledger
