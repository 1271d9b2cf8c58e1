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
    invalid_domain = 25,
    invalid_ports = 26,
    no_stake = 27,
    lock_exceeds_max = 28,
    stake_locked = 29,
    no_locked_tokens = 30,
    locked_tokens_not_matured = 31,
    insufficient_stake = 32,
    not_participating = 33,
    client_key_already_approved = 34,
    client_key_not_approved = 35,
    too_many_client_keys = 36,
    invalid_client_key = 37,
    not_committee_member = 38,
    wrong_epoch = 39,
    epoch_not_ended = 40,
    already_signaled = 41,
    beacon_wrong_phase = 42,
    beacon_wrong_round = 43,
    beacon_already_committed = 44,
    beacon_not_committed = 45,
    beacon_already_revealed = 46,
    beacon_invalid_reveal = 47,
    beacon_non_revealer = 48,
    phase_not_expired = 49,
    too_many_submissions = 50,
    invalid_measurement = 51,
    unknown_peer = 52,
    // 53-59: no longer produced; a bad delivery receipt gets a DeliveryReceiptStatus in the
    // transaction's output instead (codes are append-only, so they keep their numbers).
    receipt_wrong_node = 53,
    receipt_bad_signature = 54,
    receipt_client_key_not_approved = 55,
    receipt_wrong_epoch = 56,
    receipt_wrong_chain = 57,
    receipt_unknown_service = 58,
    receipt_session_mismatch = 59,
    content_already_registered = 60,
    content_not_registered = 61,
    duplicate_content_update = 62,
    service_exists = 63,
    service_not_found = 64,
    not_service_owner = 65,
    invalid_param_value = 66,
    evidence_invalid_signature_encoding = 67,
    evidence_bad_signature = 68,
    evidence_not_conflicting = 69,
    evidence_wrong_signer = 70,
    evidence_already_used = 71,
    evidence_from_future_epoch = 72,
    empty_batch = 73,
    batch_too_large = 74,
    invalid_price = 75,
    too_many_unlocks = 76,    // unlocks_per_node_max amounts are already waiting to unlock
    evidence_expired = 77,    // slash evidence from an epoch whose records were pruned
};
inline constexpr uint16_t tx_error_count = 78;

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
